"""Adapters come from the `nashra.channels` entry-point group; configuration alone picks them.

The third-party adapter here is a real installed distribution (a dist-info with entry_points.txt
on sys.path), exactly what `pip install acme-channel` would leave behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from social_helpers import FakeTime

from nashra.config import Settings
from nashra.errors import ConfigError
from nashra.ingest import ingest
from nashra.runtime import Runtime
from nashra.social.post import post_pending
from nashra.social.protocol import ChannelContext
from nashra.social.registry import CHANNELS, build_channels
from nashra.store import posts as records
from nashra.store.posts import PostStatus
from plugin_dist import installed

ACME = '''
"""A third-party channel: posts land in a JSON file the test reads back."""
import json
from pathlib import Path
from typing import ClassVar

from nashra.social.compose import compose, load_template
from nashra.social.protocol import ChannelOptions, ErrorKind, Post, Published, Verdict


class AcmeOptions(ChannelOptions):
    room: str
    sent_file: str


class AcmeChannel:
    kind: ClassVar[str] = "acme"
    Options: ClassVar[type] = AcmeOptions
    dedupes: ClassVar[bool] = False

    def __init__(self, config, options, context):
        self.name, self.config, self.options, self.context = config.name, config, options, context
        self.template = load_template(context.settings, config)

    def limit(self, *, with_image):
        return 140

    def measure(self, text):
        return len(text)

    def render(self, article):
        composed = compose(article, template=self.template, measure=self.measure, limit=140, max_hashtags=1)
        return Post(article_id=article.id, channel=self.name, key=article.id + self.name, text=composed.text,
                    length=len(composed.text), limit=140, url=article.url, title=composed.title,
                    summary=composed.summary, hashtags=composed.hashtags)

    def validate(self, post):
        return []

    def publish(self, post):
        path = Path(self.options.sent_file)
        sent = json.loads(path.read_text()) if path.exists() else []
        sent.append({"room": self.options.room, "text": post.text})
        path.write_text(json.dumps(sent, ensure_ascii=False))
        return Published(remote_id=str(len(sent)))

    def classify_error(self, error):
        return Verdict(ErrorKind.BAD_REQUEST, str(error))
'''


@pytest.fixture
def acme_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Install the `acme-channel` distribution into a fresh folder on sys.path."""
    with installed(
        tmp_path / "site",
        monkeypatch,
        name="acme-channel",
        modules={"acme_channel": ACME},
        entry_points={"nashra.channels": {"acme": "acme_channel:AcmeChannel"}},
    ) as site:
        yield site


@pytest.mark.sqlite_only
def test_a_third_party_adapter_is_picked_up_by_configuration_alone(
    acme_site: Path, make_runtime: Callable[[str], Runtime], fake_time: FakeTime, tmp_path: Path
) -> None:
    assert "acme" in CHANNELS.kinds()
    sent = tmp_path / "sent.json"
    runtime = make_runtime(
        f'[[channels]]\ntype = "acme"\nname = "acme-room"\nroom = "newsroom"\n'
        f'sent_file = "{sent}"\nmax_age_hours = 1000000\n'
    )
    ingest(runtime)
    run = post_pending(runtime, timing=fake_time.timing)
    assert {r.status for r in run.results} == {PostStatus.POSTED} and len(run.results) == 10
    posts = json.loads(sent.read_text(encoding="utf-8"))
    assert len(posts) == 10 and all(p["room"] == "newsroom" and len(p["text"]) <= 140 for p in posts)
    assert post_pending(runtime, timing=fake_time.timing).results == []


def test_the_cli_finds_the_third_party_adapter_too(acme_site: Path, tmp_path: Path) -> None:
    (tmp_path / "nashra.toml").write_text(
        f'[[channels]]\ntype = "acme"\nname = "acme-room"\nroom = "r"\nsent_file = "{tmp_path / "s.json"}"\n'
        "max_age_hours = 1000000\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NASHRA_")}
    env["PYTHONPATH"] = str(acme_site)
    subprocess.run(
        [sys.executable, "-m", "nashra", "ingest"], cwd=tmp_path, env=env, check=True, capture_output=True
    )
    shown = subprocess.run(
        [sys.executable, "-m", "nashra", "post", "--dry-run", "--format", "json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    items = json.loads(shown.stdout)
    assert (
        len(items) == 10 and {i["type"] for i in items} == {"acme"} and {i["limit"] for i in items} == {140}
    )
    assert not (tmp_path / "s.json").exists()  # a dry run sends nothing


def test_bad_channel_tables_are_reported_together_with_their_lines(
    settings_from: Callable[[str], Settings],
) -> None:
    import httpx

    settings = settings_from(
        '[[channels]]\ntype = "telegram"\nname = "tg"\nchat_idd = "@x"\n'  # lines 1-4
        '\n[[channels]]\ntype = "myspace"\nname = "old"\n'  # lines 6-8
        '\n[[channels]]\ntype = "file"\nname = "tg"\n'  # lines 10-12
    )
    with httpx.Client() as client, pytest.raises(ConfigError) as caught:
        build_channels(settings, ChannelContext(settings, client))
    problems = caught.value.problems
    origin = settings.origin
    assert f"{origin}:12: channels[2].name: 'tg' is used by another channel; names must be unique" in problems
    assert f"{origin}:4: channels[0] (tg).chat_idd: unknown key" in problems
    assert f"{origin}:1: channels[0] (tg).chat_id: required key is missing" in problems  # the table's line
    assert any(
        p.startswith(f"{origin}:7: channels[1].type: unknown channel type 'myspace'; known: ")
        for p in problems
    )


def test_shared_keys_are_validated_with_the_settings(settings_from: Callable[[str], Settings]) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from(
            '[[channels]]\ntype = "file"\nname = "f"\nquiet_hours = "late"\nmin_spacing_minutes = -1\n'
        )
    text = str(caught.value)
    assert ":4: channels[0].quiet_hours:" in text and "23:00-07:00" in text
    assert ":5: channels[0].min_spacing_minutes:" in text


@pytest.mark.sqlite_only
def test_no_channels_means_the_file_outbox(
    make_runtime: Callable[[str], Runtime], fake_time: FakeTime, tmp_path: Path
) -> None:
    runtime = make_runtime("")
    ingest(runtime)
    run = post_pending(runtime, timing=fake_time.timing)
    assert {r.channel for r in run.results} == {"outbox"} and len(run.results) == 10
    lines = (tmp_path / "outbox" / "social" / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 10


@pytest.mark.sqlite_only
def test_nashra_post_dry_run_json_shows_exactly_what_would_be_sent(tmp_path: Path, database_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NASHRA_")}
    env["NASHRA_DATABASE_URL"] = database_url
    env.update(
        dict.fromkeys(
            ("X_CONSUMER_KEY", "X_CONSUMER_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET"), "set"
        )
    )
    (tmp_path / "nashra.toml").write_text(
        '[[channels]]\ntype = "x"\nname = "x"\nmax_age_hours = 1000000\n'
        '[[channels]]\ntype = "telegram"\nname = "tg"\nchat_id = "@n"\nmax_age_hours = 1000000\n',
        encoding="utf-8",
    )
    subprocess.run(
        [sys.executable, "-m", "nashra", "ingest"], cwd=tmp_path, env=env, check=True, capture_output=True
    )
    shown = subprocess.run(
        [sys.executable, "-m", "nashra", "post", "--dry-run", "--format", "json", "--channel", "x"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    items = json.loads(shown.stdout)
    assert len(items) == 10 and {i["channel"] for i in items} == {"x"}
    from nashra.social.counting import x_length

    for item in items:
        assert item["status"] == "pending" and item["limit"] == 280
        assert item["length"] == x_length(item["text"]) <= 280
        assert item["text"].split("\n")[-1] == item["link"]
        assert all(a["type"] == "image" and a["url"].startswith("https://") for a in item["attachments"])
    assert any(item["attachments"] for item in items)


def test_the_worker_gets_one_job_per_channel_and_run_once_posts(
    make_runtime: Callable[[str], Runtime], tmp_path: Path
) -> None:
    from nashra.jobs import Every
    from nashra.pipeline import STAGES, all_jobs, followers_of_ingest, run_cycle

    runtime = make_runtime(
        '[[channels]]\ntype = "file"\nname = "a"\nevery_minutes = 2\nmax_age_hours = 1000000\n'
        '[[channels]]\ntype = "file"\nname = "b"\nenabled = false\n'
        '[[channels]]\ntype = "file"\nname = "c"\nmax_age_hours = 1000000\n'
    )
    jobs = {job.id: job for job in all_jobs(runtime.settings) if job.id.startswith("social:")}
    assert set(jobs) == {"social:a", "social:c"}
    assert jobs["social:a"].when == Every(minutes=2)
    assert jobs["social:c"].when == Every(minutes=5)
    assert "social" in [s.name for s in followers_of_ingest(STAGES)]
    reports = {r.stage: r for r in run_cycle(runtime)}
    assert reports["social"].counts == {"posted": 20}
    folder = tmp_path / "outbox" / "social"
    assert reports["social"].outputs == [str(folder / "a.jsonl"), str(folder / "c.jsonl")]
    assert jobs["social:a"].run(runtime).counts == {}  # nothing left for channel a
    assert not (tmp_path / "outbox" / "social" / "b.jsonl").exists()


@pytest.mark.sqlite_only
def test_a_bad_channel_table_is_a_stage_problem_not_a_crash(make_runtime: Callable[[str], Runtime]) -> None:
    from nashra.social.stage import social_stage

    runtime = make_runtime('[[channels]]\ntype = "telegram"\nname = "t"\n')
    report = social_stage(runtime)
    assert report.counts == {"config_errors": 1} and "chat_id: required key is missing" in report.problems[0]


def test_operator_resolves_an_unknown_post_from_the_cli(tmp_path: Path, database_url: str) -> None:
    from datetime import UTC, datetime

    from nashra.store import open_store

    env = {k: v for k, v in os.environ.items() if not k.startswith("NASHRA_")}
    env["NASHRA_DATABASE_URL"] = database_url
    env["COLUMNS"] = "1000"
    store = open_store(database_url)
    with store.begin() as conn:
        post_id = records.claim_new(
            conn,
            article_id="a1",
            channel="tg",
            channel_type="telegram",
            version=1,
            text="نص",
            now=datetime.now(UTC),
        )
        assert post_id is not None
        records.finish(
            conn,
            post_id,
            status=PostStatus.UNKNOWN,
            now=datetime.now(UTC),
            attempts=1,
            error="ReadTimeout: timed out",
        )
    shown = subprocess.run(
        [sys.executable, "-m", "nashra", "post", "--dry-run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert any(
        all(
            part in line
            for part in (
                f" {post_id} ",
                " tg ",
                " a1 ",
                "outcome unknown after attempt 1: ReadTimeout: timed out",
            )
        )
        and f"--mark-posted {post_id}" in line
        for line in shown.stdout.splitlines()
    ), shown.stdout
    waiting = subprocess.run(
        [sys.executable, "-m", "nashra", "--demo", "post"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    marked = subprocess.run(
        [sys.executable, "-m", "nashra", "post", "--mark-posted", str(post_id)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0  # a dry run previews; it does not judge
    assert waiting.returncode == 1, waiting.stdout  # a real run says an outcome waits for the operator
    assert marked.returncode == 0, marked.stderr
    again = subprocess.run(
        [sys.executable, "-m", "nashra", "post", "--mark-posted", str(post_id)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 1 and "no post with id" in again.stdout
    with store.connect() as conn:
        record = records.get_record(conn, post_id)
    store.close()
    assert record is not None and record.status == PostStatus.POSTED and record.posted_at is not None
