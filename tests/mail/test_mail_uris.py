"""Every URL in a sent digest is an ASCII URI, even with an Arabic host, path and digest name."""

from __future__ import annotations

import email
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
import time_machine
from mailkit import populate
from twitter_text import extract_urls_with_indices

from nashra.ingest import ingest
from nashra.mail.stage import digests_stage
from nashra.runtime import Runtime

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("restore_logging")


def test_list_unsubscribe_hrefs_and_text_part_are_ascii_uris(
    tmp_path: Path, make_runtime: Callable[[str], Runtime]
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "port.md").write_text(
        "---\ntitle: افتتاح الميناء الجاف في سطيف\ndate: 2026-11-30T06:00:00+01:00\nsection: اقتصاد\n"
        "url: https://نشرة.dz/اقتصاد/الميناء?utm_source=nl&id=3\n---\n"
        "افتتحت السلطات اليوم الميناء الجاف الجديد في سطيف لتخفيف الضغط على موانئ الساحل.\n",
        encoding="utf-8",
    )
    runtime = make_runtime(
        '[site]\nname = "نشرة"\nbase_url = "https://نشرة.dz"\n\n[web]\npublic_url = "https://نشرة.dz/بريد"\n\n'
        f'[[sources]]\ntype = "folder"\nname = "desk"\npath = "{folder}"\n\n[[digests]]\nname = "يومية"\n'
    )
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        ingest(runtime)
    with time_machine.travel(NOW, tick=False):
        populate(runtime, ["reader@example.com"])
        assert digests_stage(runtime).counts["sent"] == 1
    [eml] = sorted((runtime.settings.outbox_dir / "mail").glob("*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    https = message["List-Unsubscribe"].split(",")[0].strip(" <>")
    assert https.isascii() and https.startswith("https://xn--")
    html = message.get_body(("html",)).get_content()
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(h.isascii() for h in hrefs)
    article = "https://xn--ogbpi5e.dz/%D8%A7%D9%82%D8%AA%D8%B5%D8%A7%D8%AF/%D8%A7%D9%84%D9%85%D9%8A%D9%86%D8%A7%D8%A1?id=3"
    assert article in hrefs
    text = message.get_body(("plain",)).get_content()
    linked = [u["url"] for u in extract_urls_with_indices(text)]
    assert article in linked and https in linked
