"""docker/compose.yaml runs the distributed mode as `docker compose up --scale worker=4`: the
scheduler and the workers run real nashra commands, read the one config that says which mode
runs, may be scaled, and are given time to let a batch in flight finish when stopped.

The build machines have no Docker engine (README: Docker), so the file is checked as the data
compose reads: YAML with its merge keys resolved, the Dockerfile's ENTRYPOINT before each command.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from nashra.cli import app
from nashra.config import Settings

DOCKER = Path(__file__).parents[2] / "docker"
NASHRA = ("scheduler", "worker", "web")
"""The services that run the nashra image."""


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = yaml.safe_load((DOCKER / "compose.yaml").read_text("utf-8"))[
        "services"
    ]
    return services


def _entrypoint() -> list[str]:
    (line,) = [
        line
        for line in (DOCKER / "Dockerfile").read_text("utf-8").splitlines()
        if line.startswith("ENTRYPOINT")
    ]
    entrypoint: list[str] = json.loads(line.removeprefix("ENTRYPOINT"))
    return entrypoint


def _seconds(duration: str) -> int:
    """A compose duration ("2m", "1m30s") in seconds."""
    units = {"h": 3600, "m": 60, "s": 1}
    parts = re.findall(r"(\d+)([hms])", duration)
    assert "".join(n + u for n, u in parts) == duration, f"not a duration this test reads: {duration}"
    return sum(int(n) * units[u] for n, u in parts)


def test_the_nashra_services_are_the_scheduler_the_workers_and_web() -> None:
    services = _services()
    assert {name for name, service in services.items() if "build" in service} == set(NASHRA)
    assert (services["scheduler"]["command"][0], services["worker"]["command"][0]) == ("run", "worker")


@pytest.mark.parametrize("service", NASHRA)
def test_each_service_runs_a_nashra_command_that_parses(service: str) -> None:
    """The image's entrypoint is `nashra`: each command must be one of its commands, with options it takes."""
    assert _entrypoint() == ["nashra"]
    name, *args = _services()[service]["command"]
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    command = group.commands.get(name)
    assert command is not None, f"`nashra {name}` is no command"
    command.make_context(name, list(args))  # raises on an unknown option or a bad value


@pytest.mark.parametrize("service", ["scheduler", "worker"])
def test_the_scheduler_and_the_workers_can_be_scaled(service: str) -> None:
    """`--scale` refuses a service with a fixed container name or host port."""
    assert not {"container_name", "ports"} & set(_services()[service])


def test_every_nashra_process_reads_the_same_config_database_and_secrets() -> None:
    """The mode is the config's `[queue] backend`: processes that read different configs would
    disagree on who runs the stages."""
    services = [_services()[name] for name in NASHRA]
    for key in ("NASHRA_CONFIG", "NASHRA_DATABASE_URL"):
        assert len({service["environment"][key] for service in services}) == 1, key
    assert len({json.dumps(service["env_file"]) for service in services}) == 1
    config = services[0]["environment"]["NASHRA_CONFIG"]
    assert all(f"../nashra.toml:{config}:ro" in service["volumes"] for service in services)


@pytest.mark.parametrize("service", ["scheduler", "worker"])
def test_a_stopped_process_has_time_to_let_its_batch_in_flight_finish(service: str) -> None:
    """After SIGTERM a digest send waits for its batch's replies and then says QUIT (each within
    the SMTP timeout) and an ingest job finishes its one request (the ingest deadline); Docker
    kills after `stop_grace_period`. Inline, the scheduler runs these jobs itself."""
    defaults = Settings()
    longest = max(2 * defaults.mail.smtp.timeout, defaults.ingest.deadline_seconds)
    assert _seconds(_services()[service]["stop_grace_period"]) >= 2 * longest


def _option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


@pytest.mark.parametrize(
    ("service", "port_option"),
    [("scheduler", "--metrics-port"), ("worker", "--metrics-port"), ("web", "--port")],
)
def test_each_service_is_healthy_when_its_readyz_answers(service: str, port_option: str) -> None:
    """Docker asks the process itself, on the port its command listens on: `/readyz` is 200 when
    the database answers with its schema at head (the image has Python, not curl)."""
    config = _services()[service]
    port = _option(config["command"], port_option)
    check = config["healthcheck"]
    test = check["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    assert f"http://127.0.0.1:{port}/readyz" in test[3]
    compile(test[3], "healthcheck", "exec")  # the one-liner is Python
    assert _seconds(check["start_period"]) >= 10 and "interval" in check


def test_the_probe_listeners_reach_the_network_but_no_host_port() -> None:
    """Prometheus scrapes from the compose network (0.0.0.0 in the container); `--scale` still works."""
    for service in ("scheduler", "worker"):
        assert _option(_services()[service]["command"], "--metrics-host") == "0.0.0.0"
