"""The workers' probe listener over real HTTP on 127.0.0.1: `/healthz`, `/readyz` and `/metrics`
(the store's metrics and this process's job durations), off unless `[metrics] port` is set, and
closed when the worker's `with` block ends."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from loopback import free_port
from nashra.errors import ConfigError
from nashra.jobs import Every, Job, Unit
from nashra.metrics.listener import probe_listener
from nashra.model import StageReport
from nashra.runtime import Runtime
from nashra.worker import Presence, _run_job


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_the_listener_answers_the_probes_and_closes_with_the_worker(
    make_runtime: Callable[[str], Runtime],
) -> None:
    port = free_port()
    runtime = make_runtime(f'[metrics]\nport = {port}\nhost = "127.0.0.1"\n')

    def feeds(_runtime: Runtime) -> StageReport:
        return StageReport("feeds", counts={"written": 3})

    job = Job("listener-test-feeds", Every(minutes=1), feeds, Unit("feeds"))
    with probe_listener(runtime) as address:
        assert address == ("127.0.0.1", port)
        base = f"http://127.0.0.1:{port}"
        before = _samples(httpx.get(f"{base}/metrics").text)
        _run_job(runtime, job, [], Presence(runtime))

        assert httpx.get(f"{base}/healthz").text == "ok"
        ready = httpx.get(f"{base}/readyz")
        assert (ready.status_code, ready.json()["status"]) == (200, "ready")
        metrics = httpx.get(f"{base}/metrics")
        assert metrics.status_code == 200
        after = _samples(metrics.text)
        assert httpx.get(f"{base}/nothing-here").status_code == 404

    duration = ("nashra_job_duration_seconds_count", (("job", "listener-test-feeds"), ("result", "ok")))
    assert after[duration] == before.get(duration, 0) + 1
    written = ("nashra_feeds_written_total", ())
    assert after[written] == before[written] + 3
    assert after[("nashra_store_up", ())] == 1
    stamp = ("nashra_job_last_success_timestamp_seconds", (("job", "listener-test-feeds"),))
    assert after[stamp] > 0, "the job's run as the store has it"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz")


@pytest.mark.sqlite_only
def test_the_listener_is_off_unless_a_port_is_set(make_runtime: Callable[[str], Runtime]) -> None:
    runtime = make_runtime("")
    with probe_listener(runtime) as address:
        assert address is None


@pytest.mark.sqlite_only
def test_a_port_already_taken_is_one_clear_error(make_runtime: Callable[[str], Runtime]) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        runtime = make_runtime(f"[metrics]\nport = {port}\n")
        with pytest.raises(ConfigError) as caught, probe_listener(runtime):
            pass
    assert f"metrics.port: cannot listen on 127.0.0.1:{port}" in str(caught.value)


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ("[metrics]\nport = 70000\n", "metrics.port"),
        ("[metrics]\nport = 0\n", "metrics.port"),
        ("[metrics]\nprot = 9464\n", "metrics.prot: unknown key"),
    ],
)
def test_metrics_settings_are_validated(
    make_settings: Callable[[str], object], toml: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        make_settings(toml)
    assert problem in str(caught.value)
