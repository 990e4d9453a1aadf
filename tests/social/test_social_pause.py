"""`nashra channel pause NAME`: a paused channel posts nothing (its posts wait, held with the
reason) until `nashra channel resume NAME`; other channels go on."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from social_helpers import FakeTime
from typer.testing import CliRunner

from nashra.cli import app
from nashra.ingest import ingest
from nashra.runtime import Runtime
from nashra.social.post import Planned, post_pending
from nashra.store.posts import PostStatus

TOML = (
    '[[channels]]\ntype = "file"\nname = "archive"\nmax_age_hours = 100000\n\n'
    '[[channels]]\ntype = "file"\nname = "breaking"\nmax_age_hours = 100000\n'
)

pytestmark = pytest.mark.usefixtures("restore_logging")


def test_a_paused_channel_holds_its_posts_until_resumed(
    make_runtime: Callable[[str], Runtime], fake_time: FakeTime
) -> None:
    runtime = make_runtime(TOML)
    ingest(runtime)
    config = ["--config", str(runtime.settings.origin)]
    runner = CliRunner()
    paused = runner.invoke(app, [*config, "channel", "pause", "breaking", "--reason", "حملة متوقفة"])
    assert paused.exit_code == 0, paused.output

    first = post_pending(runtime, timing=fake_time.timing)
    by_channel = {(r.channel, r.status) for r in first.results}
    assert by_channel == {("archive", PostStatus.POSTED), ("breaking", Planned.HELD)}
    held = next(r for r in first.results if r.channel == "breaking")
    assert "paused by an operator" in (held.held or "") and "حملة متوقفة" in (held.held or "")

    resumed = runner.invoke(app, [*config, "channel", "resume", "breaking"])
    assert resumed.exit_code == 0 and "resumed" in resumed.output
    second = post_pending(runtime, timing=fake_time.timing)
    assert {(r.channel, r.status) for r in second.results} == {("breaking", PostStatus.POSTED)}
    unknown = runner.invoke(app, [*config, "channel", "pause", "nowhere"])
    assert unknown.exception is not None and "no channel named 'nowhere'" in str(unknown.exception)
