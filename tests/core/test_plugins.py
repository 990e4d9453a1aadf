"""Sources, channels and mail transports are all found through entry points by configuration alone.

The third-party adapters here come from one installed distribution (see plugin_dist), so a run
reads, posts and mails through code nashra has never heard of, chosen by `type` keys only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from typer.testing import CliRunner

from nashra.cli import app
from nashra.config import Settings
from nashra.config.loader import parse_settings
from nashra.errors import ConfigError
from nashra.mail.transports import TRANSPORTS, make_transport
from nashra.pipeline import run_cycle
from nashra.runtime import Runtime
from nashra.social.registry import CHANNELS
from nashra.sources.registry import SOURCES
from nashra.subscribers import add_subscriber
from nashra.text import strip_bidi_controls
from plugin_dist import installed

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)

ACME = '''
"""A newsroom's own adapters: a wire service, a chat room and an in-house mail gateway."""
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nashra.config.mail import TransportOptions
from nashra.mail.transport import BatchSession, Outcome, TransportBase
from nashra.model import Article
from nashra.social.channels.base import TemplatedChannel
from nashra.social.protocol import ChannelOptions, Published
from nashra.sources.base import FetchResult, SourceBase, SourceOptions


class WireOptions(SourceOptions):
    count: int


class WireSource(SourceBase[WireOptions]):
    kind = "acme-wire"

    def fetch(self, state):
        now = datetime.now(UTC)
        return FetchResult(articles=[
            Article(source=self.name, guid=f"wire-{n}", url=f"https://acme.example/wire/{n}",
                    title=f"خبر الوكالة رقم {n}", published_at=now - timedelta(minutes=10 * n),
                    lead="موجز الخبر من الوكالة.", body_html="<p>نص الخبر.</p>")
            for n in range(1, self.options.count + 1)
        ])


class RoomOptions(ChannelOptions):
    sent_file: str


class RoomChannel(TemplatedChannel[RoomOptions]):
    kind = "acme-room"

    def limit(self, *, with_image):
        return 300

    def measure(self, text):
        return len(text)

    def publish(self, post):
        with Path(self.options.sent_file).open("a", encoding="utf-8") as out:
            out.write(json.dumps({"text": post.text}, ensure_ascii=False) + "\\n")
        return Published(remote_id=post.key)


class GatewayOptions(TransportOptions):
    sent_file: str


class GatewaySession(BatchSession):
    width = 8

    def __init__(self, path):
        self.path = path

    def send_batch(self, batch, commit):
        commit(range(len(batch)))
        with self.path.open("a", encoding="utf-8") as out:
            for envelope, message in batch:
                out.write(json.dumps({"to": envelope.recipient, "bytes": len(message)}) + "\\n")
        return [Outcome("sent", committed=True) for _ in batch]


class GatewayTransport(TransportBase[GatewayOptions]):
    def open(self):
        return GatewaySession(Path(self.options.sent_file))


class BareSource:
    """The Source protocol without SourceBase, so without a `verify()`."""

    kind = "acme-bare"
    Options = WireOptions

    def __init__(self, config, options, context):
        self.name = config.name

    def fetch(self, state):
        return FetchResult()


def not_a_transport():
    return None
'''


@pytest.fixture
def acme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with installed(
        tmp_path / "site",
        monkeypatch,
        name="acme-newsroom",
        modules={"acme_newsroom": ACME},
        entry_points={
            "nashra.sources": {
                "acme-wire": "acme_newsroom:WireSource",
                "acme-bare": "acme_newsroom:BareSource",
            },
            "nashra.channels": {"acme-room": "acme_newsroom:RoomChannel"},
            "nashra.transports": {
                "acme-gateway": "acme_newsroom:GatewayTransport",
                "acme-broken": "acme_newsroom:not_a_transport",
            },
        },
    ) as site:
        yield site


def test_a_source_a_channel_and_a_transport_from_a_package_run_by_configuration_alone(
    acme: Path, make_runtime: Callable[[str], Runtime], tmp_path: Path
) -> None:
    posts, mails = tmp_path / "posts.jsonl", tmp_path / "mails.jsonl"
    runtime = make_runtime(
        '[[sources]]\ntype = "acme-wire"\nname = "wire"\ncount = 3\n\n'
        f'[[channels]]\ntype = "acme-room"\nname = "room"\nsent_file = "{posts}"\nmax_age_hours = 1000000\n\n'
        '[web]\npublic_url = "https://agency.example/news"\n\n'
        f'[mail]\ntransport = "acme-gateway"\n[mail.acme-gateway]\nsent_file = "{mails}"\n\n'
        '[[digests]]\nname = "daily"\nschedule = "30 7 * * *"\n'
    )
    assert {"acme-wire", "acme-room", "acme-gateway"} <= {
        *SOURCES.kinds(),
        *CHANNELS.kinds(),
        *TRANSPORTS.kinds(),
    }
    with runtime.store.begin() as conn:
        add_subscriber(conn, "reader@example.com", now=NOW, name="", list_name="default")
    with time_machine.travel(NOW, tick=False):
        reports = {report.stage: report for report in run_cycle(runtime)}
    assert reports["ingest"].problems == [] and reports["social"].counts == {"posted": 3}
    assert reports["digests"].counts == {"issues": 1, "sent": 1, "retried": 0, "failed": 0, "skipped": 0}
    posted = [json.loads(line) for line in posts.read_text(encoding="utf-8").splitlines()]
    titles = sorted(strip_bidi_controls(p["text"].split("\n")[0]) for p in posted)
    assert titles == [f"خبر الوكالة رقم {n}" for n in (1, 2, 3)]
    [mail] = [json.loads(line) for line in mails.read_text(encoding="utf-8").splitlines()]
    assert mail["to"] == "reader@example.com" and mail["bytes"] > 1000
    assert not (tmp_path / "outbox" / "mail").exists()  # the built-in file transport was not used


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("restore_logging")
def test_check_vouches_for_a_package_s_adapters_through_the_base_class_defaults(
    acme: Path, make_settings: Callable[[str], Settings], tmp_path: Path
) -> None:
    """`nashra check` knows no kind: the base classes' `verify()` checks what it can, sending nothing,
    and an adapter that offers none is listed, not failed."""
    posts, mails = tmp_path / "posts.jsonl", tmp_path / "mails.jsonl"
    settings = make_settings(
        '[[sources]]\ntype = "acme-wire"\nname = "wire"\ncount = 3\n\n'
        '[[sources]]\ntype = "acme-bare"\nname = "bare"\ncount = 1\n\n'
        f'[[channels]]\ntype = "acme-room"\nname = "room"\nsent_file = "{posts}"\n\n'
        '[web]\npublic_url = "https://agency.example/news"\n\n'
        f'[mail]\ntransport = "acme-gateway"\n[mail.acme-gateway]\nsent_file = "{mails}"\n'
    )
    result = CliRunner().invoke(app, ["--config", str(settings.origin), "--quiet", "check"])
    assert result.exit_code == 0, result.output
    lines = [re.split(r"\s{2,}", line, maxsplit=2) for line in result.stdout.splitlines()]
    assert lines[3][:2] == ["ok", "share cards"]  # a package's channel may be handed a card too
    assert lines[2:3] + lines[4:] == [
        ["ok", "mail acme-gateway", "session opened and closed, nothing sent"],
        ["ok", "channel room (acme-room)", "secrets set (this kind makes no platform check)"],
        ["ok", "source wire (acme-wire)", "3 items"],
        ["skip", "source bare (acme-bare)", "BareSource offers no verify()"],
    ]
    assert not posts.exists() and not mails.exists()


@pytest.fixture
def settings_from(tmp_path: Path) -> Callable[[str], Settings]:
    def make(toml: str) -> Settings:
        (tmp_path / "nashra.toml").write_text(toml, encoding="utf-8")
        return parse_settings(toml, origin=str(tmp_path / "nashra.toml"), base_dir=tmp_path)

    return make


def _problems(settings: Settings) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        make_transport(settings)
    return caught.value.problems


def test_an_unknown_transport_is_one_line_with_its_place_and_the_known_types(
    settings_from: Callable[[str], Settings], tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as caught:  # at load time, with the rest of the file
        settings_from('[site]\nname = "x"\n\n[mail]\ntransport = "pigeon"\n')
    assert caught.value.problems == [
        f"{tmp_path / 'nashra.toml'}:5: mail.transport: unknown transport type 'pigeon'; known: file, smtp"
    ]


def test_a_transport_s_own_keys_are_checked_by_its_options_model(
    acme: Path, settings_from: Callable[[str], Settings]
) -> None:
    settings = settings_from('[mail]\ntransport = "acme-gateway"\n\n[mail.acme-gateway]\nsent_fil = "x"\n')
    origin = settings.origin
    assert _problems(settings) == [
        f"{origin}:4: mail.acme-gateway.sent_file: required key is missing",
        f"{origin}:5: mail.acme-gateway.sent_fil: unknown key",
    ]
    assert _problems(settings_from('[mail]\ntransport = "acme-broken"\n')) == [
        f"{origin}:2: mail.transport: transport type 'acme-broken' (acme_newsroom:not_a_transport) is not a class but function"
    ]
    with pytest.raises(ConfigError) as caught:
        settings_from('[mail]\ntransport = "pigeon"\n')
    assert caught.value.problems == [
        f"{origin}:2: mail.transport: unknown transport type 'pigeon'; known: acme-broken, acme-gateway, file, smtp"
    ]


def test_a_table_for_another_transport_is_an_unknown_key(settings_from: Callable[[str], Settings]) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from('[mail]\ntransport = "smtp"\n\n[mail.smpt]\nhost = "relay"\n')
    assert "mail.smpt: unknown key" in str(caught.value)
