"""Config: defaults work with no file; a bad file gets one line per problem with key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from nashra.config import load_settings
from nashra.config.loader import parse_settings
from nashra.errors import ConfigError


def _parse(text: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return parse_settings(text, origin="nashra.toml", base_dir=tmp_path)


def test_no_file_means_demo_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NASHRA_CONFIG", raising=False)
    monkeypatch.delenv("NASHRA_DATABASE_URL", raising=False)
    settings = load_settings()
    assert settings.origin is None
    assert settings.sources == []
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'nashra.db'}"
    assert settings.site.language == "ar"


def test_example_config_is_valid() -> None:
    example = Path(__file__).parents[2] / "config" / "nashra.example.toml"
    settings = load_settings(example)
    assert settings.site.timezone == "Africa/Algiers"
    assert settings.sources[0].type == "folder"


def test_every_problem_reported_with_key_and_line(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "[site]",
            'name = "نشرة"',
            'timezone = "Mars/Olympus"',  # line 3
            'locale = "xx_YY"',  # line 4
            'base_url = "nashra.example"',  # line 5
            "",
            "[ingest]",
            "every_minuts = 5",  # line 8: typo
        ]
    )
    with pytest.raises(ConfigError) as caught:
        _parse(text, tmp_path)
    problems = caught.value.problems
    assert len(problems) == 4, problems
    joined = "\n".join(problems)
    assert "nashra.toml:3: site.timezone: unknown time zone 'Mars/Olympus'" in joined
    assert "nashra.toml:4: site.locale: unknown locale 'xx_YY'" in joined
    assert "nashra.toml:5: site.base_url: must be an absolute http(s) URL" in joined
    assert "nashra.toml:8: ingest.every_minuts: unknown key" in joined


def test_array_of_tables_problem_points_at_that_table(tmp_path: Path) -> None:
    text = '[[sources]]\ntype = "rss"\nname = "a"\n\n[[sources]]\nname = "b"\n'
    with pytest.raises(ConfigError) as caught:
        _parse(text, tmp_path)
    assert caught.value.problems == ["nashra.toml:5: sources[1].type: required key is missing"]


def test_a_sub_table_problem_points_at_its_own_header_and_key(tmp_path: Path) -> None:
    text = '[mail]\ntransport = "smtp"\n\n[mail.smtp]\nhost = "relay"\nport = 0\n\n[mail.smpt]\nhost = "x"\n'
    with pytest.raises(ConfigError) as caught:
        _parse(text, tmp_path)
    assert caught.value.problems == [
        "nashra.toml:6: mail.smtp.port: Input should be greater than 0",
        "nashra.toml:8: mail.smpt: unknown key (check the spelling; see config/nashra.example.toml)",
    ]


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _parse('[site]\nname = "unterminated\n', tmp_path)
    assert "line 2" in str(caught.value)


def test_duplicate_source_names_rejected(tmp_path: Path) -> None:
    text = '[[sources]]\ntype = "rss"\nname = "a"\n[[sources]]\ntype = "rss"\nname = "a"\n'
    with pytest.raises(ConfigError, match="repeated: a"):
        _parse(text, tmp_path)


def test_relative_paths_resolve_against_the_file(tmp_path: Path) -> None:
    settings = _parse('[paths]\npublic = "out/www"\n', tmp_path)
    assert settings.public_dir == tmp_path / "out" / "www"


def test_database_url_from_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NASHRA_DATABASE_URL", "postgresql://postgres@localhost:5432/test")
    settings = _parse('[database]\nurl = "sqlite:///x.db"\n', tmp_path)
    assert settings.database_url == "postgresql://postgres@localhost:5432/test"


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_the_queue_backend_defaults_to_inline(tmp_path: Path) -> None:
    assert _parse("", tmp_path).queue.backend == "inline"


def test_procrastinate_on_sqlite_is_a_config_error_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NASHRA_DATABASE_URL", raising=False)
    with pytest.raises(ConfigError) as caught:
        _parse('[site]\nname = "x"\n\n[queue]\nbackend = "procrastinate"\n', tmp_path)
    (problem,) = caught.value.problems
    assert problem.startswith('nashra.toml:5: queue.backend: "procrastinate" keeps its jobs in PostgreSQL')
    assert 'use backend = "inline"' in problem


def test_procrastinate_on_postgresql_is_accepted_also_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NASHRA_DATABASE_URL", "postgresql://db.example/nashra")
    settings = _parse('[queue]\nbackend = "procrastinate"\nconcurrency = 8\n', tmp_path)
    assert (settings.queue.backend, settings.queue.concurrency) == ("procrastinate", 8)


def test_queue_keys_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _parse('[queue]\nbackend = "celery"\nconcurrency = 0\n', tmp_path)
    joined = "\n".join(caught.value.problems)
    assert "nashra.toml:2: queue.backend: Input should be 'inline' or 'procrastinate'" in joined
    assert "nashra.toml:3: queue.concurrency: Input should be greater than or equal to 1" in joined
