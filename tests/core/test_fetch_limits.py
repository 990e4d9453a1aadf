"""Every fetch ends: a total deadline against trickling servers, caps on the body as sent and once
decompressed, and credentials in a source's URL redacted wherever the URL is shown or stored.

The servers are real sockets on 127.0.0.1; the commands are the real CLI in a subprocess.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

from feedmaker import rss, rss_item
from pytest_httpserver import HTTPServer
from werkzeug import Response

from loopback import drip_server
from nashra.feeds.websub import ping_hub
from nashra.ingest import ingest
from nashra.runtime import Runtime
from nashra.store.sources import all_states

MakeRuntime = Callable[[str], Runtime]
FEED = rss([rss_item(1)]).encode() * 1000  # long enough to trickle for ever at a byte a second


def _source(name: str, url: str) -> str:
    return f'[[sources]]\ntype = "rss"\nname = "{name}"\nurl = "{url}"\n'


def _cli(config: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NASHRA_")}
    env["COLUMNS"] = "400"  # one problem per line, unwrapped
    return subprocess.run(
        [sys.executable, "-m", "nashra", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def test_a_trickling_source_ends_at_the_deadline_and_its_credentials_never_show(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/good").respond_with_data(
        rss([rss_item(1)]), content_type="application/rss+xml"
    )
    config = tmp_path / "nashra.toml"
    with drip_server(FEED, headers_too=False) as port:
        config.write_text(
            "[ingest]\ntimeout_seconds = 5\ndeadline_seconds = 2\n"
            + _source("drip", f"http://editor:hunter2@127.0.0.1:{port}/feed?apikey=S3CRET&page=1")
            + _source("good", httpserver.url_for("/good")),
            encoding="utf-8",
        )
        started = time.monotonic()
        done = _cli(config, "ingest")
        elapsed = time.monotonic() - started
    output = done.stdout + done.stderr
    # Generous for a loaded machine (the CLI's own start-up); the old client read a byte a second for ever.
    assert elapsed < 25, (elapsed, output)
    assert done.returncode == 0, output  # the other source was read
    assert "new=1" in output.replace(" ", "")
    assert (
        f"source drip: http://***@127.0.0.1:{port}/feed?apikey=***&page=1: no complete answer within 2 s"
        in output
    )
    shown = _cli(config, "status")
    assert shown.returncode == 0, shown.stderr
    assert "no complete answer within 2 s" in shown.stdout
    for secret in ("hunter2", "S3CRET", "editor"):
        assert secret not in output and secret not in shown.stdout + shown.stderr


def test_headers_trickled_byte_by_byte_end_at_the_deadline_too(make_runtime: MakeRuntime) -> None:
    with drip_server(FEED, headers_too=True, interval=0.2) as port:
        runtime = make_runtime(
            "[ingest]\ntimeout_seconds = 5\ndeadline_seconds = 1.5\n"
            + _source("drip", f"http://127.0.0.1:{port}/feed")
        )
        started = time.monotonic()
        report = ingest(runtime)
        assert time.monotonic() - started < 6  # the payload would take minutes
    assert report.counts["sources_failed"] == 1
    with runtime.store.connect() as conn:
        (state,) = all_states(conn)
    assert state.last_error == f"http://127.0.0.1:{port}/feed: no complete answer within 1.5 s"


def test_a_websub_hub_that_trickles_its_answer_is_given_up_at_the_deadline(
    make_runtime: MakeRuntime, tmp_path: Path
) -> None:
    runtime = make_runtime("[ingest]\ntimeout_seconds = 5\ndeadline_seconds = 1\n")
    with drip_server(b"accepted" * 100, headers_too=False, interval=0.2) as port:
        started = time.monotonic()
        result = ping_hub(
            runtime.http,
            f"http://127.0.0.1:{port}/hub",
            ["https://news.example/feed.xml"],
            tmp_path / "queue",
        )
        assert time.monotonic() - started < 5  # the answer would take minutes
    assert result.pending == ["https://news.example/feed.xml"]
    assert "no complete answer within 1 s" in (result.problem or "")


def test_bodies_over_the_size_cap_are_refused_announced_or_streamed(
    httpserver: HTTPServer, make_runtime: MakeRuntime
) -> None:
    big = b" " * 1_500_000 + rss([rss_item(1)]).encode()
    httpserver.expect_request("/announced").respond_with_data(big, content_type="application/rss+xml")
    httpserver.expect_request("/streamed").respond_with_response(
        Response(iter([big[i : i + 65536] for i in range(0, len(big), 65536)]), content_type="text/xml")
    )
    httpserver.expect_request("/small").respond_with_data(rss([rss_item(2)]), content_type="text/xml")
    runtime = make_runtime(
        "[ingest]\nmax_response_mb = 1\n"
        + "".join(
            _source(name, httpserver.url_for(f"/{name}")) for name in ("announced", "streamed", "small")
        )
    )
    report = ingest(runtime)
    assert report.counts["sources_failed"] == 2 and report.counts["new"] == 1
    with runtime.store.connect() as conn:
        errors = {s.name: s.last_error for s in all_states(conn)}
    assert errors["announced"] == (
        f"{httpserver.url_for('/announced')}: response exceeded 1 MB ({len(big) / 1e6:g} MB announced)"
    )
    assert errors["streamed"] == f"{httpserver.url_for('/streamed')}: response exceeded 1 MB"
    assert errors["small"] is None


def _gzip_bomb(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1_000_000)
    return b"".join(packer.compress(zeros) for _ in range(size // len(zeros))) + packer.flush()


PEAK_REPORTER = """
import re, runpy, sys
sys.argv = ["nashra", *sys.argv[1:]]
try:
    runpy.run_module("nashra", run_name="__main__")
finally:
    with open("/proc/self/status") as status:
        print("PEAK_KB", re.search(r"VmHWM:\\s+(\\d+)", status.read()).group(1))
"""


def _peak_rss_mb(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Run the CLI with `args`; its peak resident memory and its output.

    Read from VmHWM inside the child: unlike getrusage's maxrss, it starts afresh at exec and so
    does not count the forking pytest worker's own memory.
    """
    done = subprocess.run(
        [sys.executable, "-c", PEAK_REPORTER, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = done.stdout + done.stderr
    peak = re.search(r"PEAK_KB (\d+)", output)
    assert peak is not None, output
    return int(peak.group(1)) / 1024, output


def test_a_gzip_bomb_stops_at_the_decompression_cap_with_memory_bounded(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    bomb = _gzip_bomb(200_000_000)
    assert len(bomb) < 1_000_000
    httpserver.expect_request("/bomb").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"}, content_type="application/rss+xml"
    )
    honest = zlib.compressobj(9, zlib.DEFLATED, 31)
    feed = honest.compress(rss([rss_item(3)]).encode()) + honest.flush()
    httpserver.expect_request("/gzipped").respond_with_data(
        feed, headers={"Content-Encoding": "gzip"}, content_type="application/rss+xml"
    )
    config = tmp_path / "nashra.toml"
    config.write_text(
        "[ingest]\nmax_decompressed_mb = 5\n"
        + _source("bomb", httpserver.url_for("/bomb"))
        + _source("gzipped", httpserver.url_for("/gzipped")),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NASHRA_")}
    env["COLUMNS"] = "400"
    peak, output = _peak_rss_mb(["--config", str(config), "ingest"], env)
    assert (
        f"source bomb: {httpserver.url_for('/bomb')}: response exceeded 5 MB once decompressed" in output
    ), output
    assert "new=1" in output.replace(" ", ""), output  # the honest gzipped feed is read
    assert peak < 150, f"peak {peak:.0f} MB\n{output}"  # 200 MB inflated took the old client past 400 MB
