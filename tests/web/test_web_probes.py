"""The web app's probes: `/metrics` parses with prometheus_client's own parser and follows a digest
send to a real SMTP server; `/readyz` says whether the database answers with its schema at head.

The store-derived metrics are read from the database at scrape time, so the web app reports the
sends of a worker it never talked to: here the send runs in the test, as a worker would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import column, create_engine, delete, insert, select, table

from loopback import free_port, live_app
from mail.mailkit import DIGESTS_TOML, SmtpServer, populate, record_test_issue
from nashra.digest import find_digest
from nashra.feedback import Kind, Report
from nashra.feedback.rules import apply
from nashra.mail.send import send_digest
from nashra.runtime import Runtime
from nashra.store import Store
from nashra.web.app import create_app

Site = tuple[Runtime, httpx.Client]
ALEMBIC_VERSION = table("alembic_version", column("version_num"))
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: httpx.Client) -> Samples:
    """Every sample of /metrics, keyed by name and sorted labels; the text must parse."""
    answer = client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def delivered(samples: Samples, status: str) -> float:
    return samples[("nashra_digest_deliveries", (("digest", "daily"), ("status", status)))]


def test_metrics_follow_a_digest_send(make_site: Callable[[str], Site], smtp_server: SmtpServer) -> None:
    runtime, client = make_site(smtp_server.toml(connections=1) + DIGESTS_TOML)
    smtp_server.handler.rcpt_replies["gone@example.org"] = ["550 5.1.1 No such user"]
    before = scrape(client)
    assert before[("nashra_store_up", ())] == 1
    assert not any(name == "nashra_digest_deliveries" for name, _ in before)

    populate(runtime, ["samir@example.com", "leila@example.org", "gone@example.org"])
    issue_id = record_test_issue(runtime)
    during: list[Samples] = []  # scraped while the server holds the first message, before its reply
    smtp_server.handler.on_message = lambda _received: during.append(scrape(client)) if not during else None

    summary = send_digest(runtime, find_digest(runtime.settings, "daily"), sleep=lambda _s: None)
    assert (summary.sent, summary.failed) == (2, 1)

    (mid,) = during
    assert mid[("nashra_digest_issue_id", (("digest", "daily"),))] == issue_id
    assert sum(value for (name, _), value in mid.items() if name == "nashra_digest_deliveries") == 3
    assert delivered(mid, "sent") == 0, "nothing is recorded sent before the server's reply"
    assert delivered(mid, "queued") + delivered(mid, "sending") + delivered(mid, "submitting") >= 1

    after = scrape(client)
    assert (delivered(after, "queued"), delivered(after, "sent"), delivered(after, "failed")) == (0, 2, 1)
    assert delivered(after, "unknown") == delivered(after, "sending") == delivered(after, "submitting") == 0
    assert after[("nashra_digest_deliveries_bounced", (("digest", "daily"),))] == 1
    assert after[("nashra_digest_reports", (("digest", "daily"), ("kind", "complaint")))] == 0

    # A complaint arrives later (a service's webhook, the bounce mailbox): counted for the issue.
    with runtime.store.begin() as conn:
        apply(
            conn,
            Report("k1", "ses", Kind.COMPLAINT, "abuse", datetime.now(UTC), email="samir@example.com"),
            soft_bounce_issues=3,
            now=datetime.now(UTC),
        )
        apply(
            conn,
            Report("k2", "imap", Kind.HARD_BOUNCE, "5.1.1", datetime.now(UTC)),
            soft_bounce_issues=3,
            now=datetime.now(UTC),
        )
    later = scrape(client)
    assert later[("nashra_digest_reports", (("digest", "daily"), ("kind", "complaint")))] == 1
    assert later[("nashra_feedback_reports_unmatched", ())] == 1


def test_metrics_count_articles_posts_and_job_runs(make_site: Callable[[str], Site]) -> None:
    """The demo articles posted through the file channel, and a job run as the worker records it."""
    from datetime import UTC, datetime

    from nashra.ingest import ingest
    from nashra.social.stage import social_stage
    from nashra.store import workers

    runtime, client = make_site("")  # no [[sources]], no [[channels]]: the demo and the file channel
    ingest(runtime)
    social_stage(runtime)
    finished = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    with runtime.store.begin() as conn:
        workers.job_started(conn, "ingest", "test:1", now=finished)
        workers.job_finished(conn, "ingest", now=finished, result="ok", summary="new=10")
        workers.job_started(conn, "social:outbox", "test:1", now=finished)
        workers.job_finished(conn, "social:outbox", now=finished, result="failed", summary="down")

    samples = scrape(client)
    assert samples[("nashra_articles", (("source", "demo"),))] == 10
    assert samples[("nashra_social_posts", (("channel", "outbox"), ("status", "posted")))] == 10
    assert samples[("nashra_social_posts", (("channel", "outbox"), ("status", "failed")))] == 0
    stamp = finished.timestamp()
    assert samples[("nashra_job_last_success_timestamp_seconds", (("job", "ingest"),))] == stamp
    assert ("nashra_job_last_success_timestamp_seconds", (("job", "social:outbox"),)) not in samples
    assert samples[("nashra_job_last_finished_timestamp_seconds", (("job", "social:outbox"),))] == stamp
    assert samples[("nashra_job_running", (("job", "social:outbox"),))] == 0


def test_a_failed_run_keeps_the_last_success(make_site: Callable[[str], Site]) -> None:
    """Alerting on "no success for an hour" needs the success to outlive the failures after it."""
    from datetime import UTC, datetime, timedelta

    from nashra.store import workers

    runtime, client = make_site("")
    ok = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    with runtime.store.begin() as conn:
        workers.job_started(conn, "ingest", "test:1", now=ok)
        workers.job_finished(conn, "ingest", now=ok, result="ok", summary="")
        workers.job_started(conn, "ingest", "test:1", now=ok + timedelta(minutes=10))
        workers.job_finished(conn, "ingest", now=ok + timedelta(minutes=10), result="crashed", summary="")
    samples = scrape(client)
    assert samples[("nashra_job_last_success_timestamp_seconds", (("job", "ingest"),))] == ok.timestamp()
    last = ("nashra_job_last_finished_timestamp_seconds", (("job", "ingest"),))
    assert samples[last] == (ok + timedelta(minutes=10)).timestamp(), "later than the success: it failed"
    with runtime.store.begin() as conn:
        workers.job_started(conn, "ingest", "test:1", now=ok + timedelta(minutes=20))
    assert scrape(client)[("nashra_job_running", (("job", "ingest"),))] == 1


@pytest.mark.sqlite_only
def test_probes_are_not_answered_through_the_reverse_proxy(site: Site) -> None:
    """The proxy forwards every path to the app; the probes are for Prometheus and Docker on the
    inside, and a request that carries the proxy's X-Forwarded-For is not from there."""
    _runtime, client = site
    assert client.get("/healthz").text == "ok"
    for path in ("/metrics", "/readyz"):
        assert client.get(path, headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
        assert client.get(path, headers={"Forwarded": "for=203.0.113.9"}).status_code == 404


def test_readyz_when_the_schema_is_at_head(site: Site) -> None:
    _runtime, client = site
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "database": "connected, schema at head"}


@pytest.fixture
def one_head_forgotten(site: Site) -> Iterator[Site]:
    """The store as an older nashra left it: one migration branch's head not applied. Put back
    afterwards: the PostgreSQL database is this pytest process's, shared by the next tests."""
    runtime, _client = site
    with runtime.store.begin() as conn:
        (forgotten,) = conn.execute(select(ALEMBIC_VERSION.c.version_num).limit(1)).one()
        conn.execute(delete(ALEMBIC_VERSION).where(ALEMBIC_VERSION.c.version_num == forgotten))
    yield site
    with runtime.store.begin() as conn:
        conn.execute(insert(ALEMBIC_VERSION).values(version_num=forgotten))


def test_readyz_is_503_when_migrations_are_behind(one_head_forgotten: Site) -> None:
    _runtime, client = one_head_forgotten
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "not ready"
    assert "not at head" in body["database"]


def test_readyz_and_metrics_when_the_database_is_unreachable(
    make_runtime: Callable[[str], Runtime], database_url: str
) -> None:
    """A database that does not answer: /readyz 503 at once, /metrics still parses (store down)."""
    runtime = make_runtime("")
    gone = (
        f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
        if database_url.startswith("postgresql")
        else f"sqlite:///{runtime.settings.base_dir / 'nashra.toml' / 'gone.db'}"  # under a file: no such path
    )
    unreachable = Runtime(runtime.settings, Store(create_engine(gone)), runtime.http)
    with live_app(create_app(runtime.settings, runtime=unreachable)) as base:
        ready = httpx.get(f"{base}/readyz", timeout=10)
        metrics = httpx.get(f"{base}/metrics", timeout=10)
    assert ready.status_code == 503
    assert ready.json()["status"] == "not ready"
    assert metrics.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(metrics.text)}
    assert families["nashra_store_up"].samples[0].value == 0
