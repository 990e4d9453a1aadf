"""Everything checked before a command runs, through the real CLI: every table's own keys at load
(exit 2, one `file:line: key: problem` line each, nothing created), the secrets of what the command
will use, and no new database made up on the built-in defaults by a command run in the wrong folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

NASHRA = [sys.executable, "-m", "nashra"]
CHANNEL_TYPES = "bluesky, facebook, file, instagram, mastodon, telegram, threads, webhook, x"
SOURCE_TYPES = "folder, rss, wordpress"


def _run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NASHRA_", "MASTODON_", "TELEGRAM_", "X_", "BLUESKY_"))
    }
    env["COLUMNS"] = "200"
    return subprocess.run([*NASHRA, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _errors(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.removeprefix("config error: ") for line in result.stderr.splitlines() if line.strip()]


def _refused(tmp_path: Path, toml: str, command: list[str] | None = None) -> tuple[Path, list[str]]:
    """Run `command` (default `run --once`) on a config of `toml`: exit 2 and nothing created."""
    config = tmp_path / "nashra.toml"
    config.write_text(toml, encoding="utf-8")
    result = _run(["--config", str(config), *(command or ["run", "--once"])], tmp_path, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nashra.toml"]  # no data/, public/, outbox/
    return config, _errors(result)


# --- 1. every table's own keys, at load time -------------------------------------------------


def test_mastodon_channel_without_api_base_url(tmp_path: Path) -> None:
    config, errors = _refused(tmp_path, '[[channels]]\ntype = "mastodon"\nname = "toot"\n')
    assert errors == [f"{config}:1: channels[0] (toot).api_base_url: required key is missing"]


def test_telegram_channel_without_chat_id(tmp_path: Path) -> None:
    config, errors = _refused(
        tmp_path, '[site]\nname = "x"\n\n[[channels]]\ntype = "telegram"\nname = "tg"\n'
    )
    assert errors == [f"{config}:4: channels[0] (tg).chat_id: required key is missing"]


def test_webhook_with_an_ftp_url(tmp_path: Path) -> None:
    config, errors = _refused(
        tmp_path, '[[channels]]\ntype = "webhook"\nname = "hook"\nurl = "ftp://example.org/in"\n'
    )
    assert errors == [f"{config}:4: channels[0] (hook).url: must be an absolute http(s) URL"]


def test_unknown_channel_type(tmp_path: Path) -> None:
    config, errors = _refused(tmp_path, '[[channels]]\nname = "old"\ntype = "myspace"\n')
    assert errors == [f"{config}:3: channels[0].type: unknown channel type 'myspace'; known: {CHANNEL_TYPES}"]


def test_unknown_source_type(tmp_path: Path) -> None:
    config, errors = _refused(tmp_path, '[[sources]]\ntype = "gopher"\nname = "old"\n')
    assert errors == [f"{config}:2: sources[0].type: unknown source type 'gopher'; known: {SOURCE_TYPES}"]


def test_rss_source_with_a_url_that_is_no_url(tmp_path: Path) -> None:
    config, errors = _refused(tmp_path, '[[sources]]\ntype = "rss"\nname = "wire"\nurl = "x"\n')
    assert errors == [f"{config}:4: sources[0] (wire).url: must be an absolute http(s) URL"]


def test_unknown_key_of_the_mail_transport(tmp_path: Path) -> None:
    config, errors = _refused(tmp_path, '[mail]\ntransport = "file"\n\n[mail.file]\nfolder = "elsewhere"\n')
    assert errors == [f"{config}:5: mail.file.folder: unknown key"]


def test_every_problem_of_a_file_at_once(tmp_path: Path) -> None:
    config, errors = _refused(
        tmp_path,
        '[site]\ntimezone = "Nowhere/City"\n\n'
        '[[sources]]\ntype = "rss"\nname = "wire"\nurl = "x"\n\n'
        '[[channels]]\ntype = "mastodon"\nname = "toot"\n\n'
        '[[channels]]\ntype = "telegram"\nname = "tg"\nenabled = false\n',
    )
    assert errors == [
        f"{config}:2: site.timezone: unknown time zone 'Nowhere/City'; use an IANA name such as Africa/Algiers",
        f"{config}:7: sources[0] (wire).url: must be an absolute http(s) URL",
        f"{config}:9: channels[0] (toot).api_base_url: required key is missing",
        f"{config}:13: channels[1] (tg).chat_id: required key is missing",
    ]


def test_a_bad_table_stops_every_command_not_only_run(tmp_path: Path) -> None:
    _, errors = _refused(
        tmp_path, '[[channels]]\ntype = "mastodon"\nname = "toot"\n', ["subscribers", "count"]
    )
    assert len(errors) == 1 and errors[0].endswith("channels[0] (toot).api_base_url: required key is missing")


# --- 2. missing secrets of what a command uses -------------------------------------------------

MASTODON = '[[channels]]\ntype = "mastodon"\nname = "toot"\napi_base_url = "https://social.example"\n'
MISSING_TOKEN = (
    "{config}:1: channels[0] (toot).access_token_env: environment variable MASTODON_ACCESS_TOKEN is not set;"
    " set it, or set enabled = false in this table to leave the channel off"
)


def test_a_channel_without_its_token_stops_run(tmp_path: Path) -> None:
    config, errors = _refused(tmp_path, MASTODON, ["run", "--once"])
    assert errors == [MISSING_TOKEN.format(config=config)]
    # A channel that is not meant to run is disabled, and needs no token.
    config.write_text(MASTODON + "enabled = false\n", encoding="utf-8")
    result = _run(["--config", str(config), "run", "--once"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "config_errors" not in result.stdout


def test_a_channel_without_its_token_stops_post_but_not_what_does_not_post(tmp_path: Path) -> None:
    config, errors = _refused(tmp_path, MASTODON, ["post"])
    assert errors == [MISSING_TOKEN.format(config=config)]
    assert _run(["--config", str(config), "ingest"], tmp_path).returncode == 0
    # The demo articles are days old: let the channel take them whatever today's date.
    config.write_text(config.read_text("utf-8") + "max_age_hours = 1000000\n", encoding="utf-8")
    dry = _run(["--config", str(config), "post", "--dry-run", "--format", "json"], tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert {post["held"] for post in json.loads(dry.stdout)} == {
        "environment variable(s) not set: MASTODON_ACCESS_TOKEN"
    }


def test_the_worker_does_not_start_without_a_channel_token(tmp_path: Path) -> None:
    config, errors = _refused(tmp_path, MASTODON + 'access_token_env = "TOOT_TOKEN"\n', ["run"])
    assert errors == [
        (
            f"{config}:5: channels[0] (toot).access_token_env: environment variable TOOT_TOKEN is not set;"
            " set it, or set enabled = false in this table to leave the channel off"
        )
    ]


def test_smtp_without_its_password_stops_digest_send(tmp_path: Path) -> None:
    config, errors = _refused(
        tmp_path,
        '[web]\npublic_url = "https://news.example/newsletter"\n\n'
        '[mail]\ntransport = "smtp"\n\n[mail.smtp]\nhost = "127.0.0.1"\nusername = "news"\n',
        ["digest", "send"],
    )
    assert errors == [
        (
            f"{config}:7: mail.smtp.password_env: environment variable NASHRA_SMTP_PASSWORD is not set;"
            " set it, or choose another mail.transport"
        )
    ]


# --- 4. no new database made up in the wrong folder --------------------------------------------


def test_a_command_in_a_folder_without_config_or_database_refuses(tmp_path: Path) -> None:
    result = _run(["subscribers", "add", "reader@example.org"], tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert _errors(result) == [
        (
            f"no config file and no database: looked for --config, $NASHRA_CONFIG and {tmp_path / 'nashra.toml'},"
            f" then the built-in default database {tmp_path / 'data' / 'nashra.db'}; run from the newsroom's"
            " folder, pass --config, or pass --demo to start a new database on the built-in demo settings"
        )
    ]
    assert list(tmp_path.iterdir()) == []
    demo = _run(["run", "--once"], tmp_path)  # the demo itself needs no flag
    assert demo.returncode == 0, demo.stderr
    assert (tmp_path / "data" / "nashra.db").is_file()


def test_demo_lets_it_proceed_and_then_the_database_is_used(tmp_path: Path) -> None:
    added = _run(["--demo", "subscribers", "add", "reader@example.org"], tmp_path)
    assert added.returncode == 0, added.stderr
    assert (tmp_path / "data" / "nashra.db").is_file()
    counted = _run(["subscribers", "count"], tmp_path)
    assert counted.returncode == 0, counted.stderr
    assert "active" in counted.stdout and "1" in counted.stdout


def test_the_first_line_names_config_and_database_off_stdout(tmp_path: Path) -> None:
    config = tmp_path / "nashra.toml"
    config.write_text("[site]\n", encoding="utf-8")
    database = tmp_path / "data" / "nashra.db"
    assert (
        _run(["--config", str(config), "--demo", "subscribers", "add", "r@example.org"], tmp_path).returncode
        == 0
    )
    exported = _run(["--config", str(config), "subscribers", "export"], tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert exported.stderr.splitlines()[0] == f"config: {config}; database: {database}"
    assert exported.stdout.splitlines()[0].startswith("email,")
    posts = _run(["--config", str(config), "post", "--dry-run", "--format", "json"], tmp_path)
    assert posts.stderr.splitlines()[0] == f"config: {config}; database: {database}"
    assert isinstance(json.loads(posts.stdout), list)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    demo = _run(["--demo", "status"], elsewhere)
    assert demo.stderr.splitlines()[0] == (
        f"config: none, built-in defaults (demo content); database: {elsewhere / 'data' / 'nashra.db'}"
    )


def test_status_names_the_missing_secrets(tmp_path: Path) -> None:
    config = tmp_path / "nashra.toml"
    config.write_text(MASTODON, encoding="utf-8")
    result = _run(["--config", str(config), "status"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        f"  • {MISSING_TOKEN.format(config=config)}" in result.stdout.splitlines()
    )  # first, under "needs attention"
