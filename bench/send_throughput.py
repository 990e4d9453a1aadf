"""Personalised digest messages per second against Postfix's smtp-sink, with Postfix's own
smtp-source (the ceiling) interleaved round by round, at list sizes that show growth.

    .venv/bin/python bench/send_throughput.py [--recipients 2000 20000 200000] [--connections 4] [--rounds 3]

Each round is a Nashra send to a fresh store followed at once by smtp-source with the same count
and the same real message; the ratio is taken per round and its median printed. The naive
baseline (one EmailMessage per recipient over one connection) runs once, in the first round.

1. Nashra: `send_digest` for the demo digest (ingested from the bundled articles, rendered once)
   to N subscribers in SQLite, SMTP transport, `--connections` parallel connections. Timed from the
   call to the end: deliveries queued, claimed, each message personalised (own To, Message-ID,
   signed unsubscribe token in List-Unsubscribe and in both parts), sent, intent and outcome recorded.
2. Naive: per recipient, one `email.message.EmailMessage` built from the same rendered issue
   (placeholders replaced, same headers, same token) and `smtplib.SMTP.send_message` over ONE
   reused connection. Same recipients.
3. smtp-source: `/usr/sbin/smtp-source -d -s <connections> -m N -F <message>`, where <message> is
   one of the messages Nashra just sent, byte for byte (less its From:/To:, which smtp-source
   writes itself); same sink, same number of connections.
Target (issue #13): >= 0.9x smtp-source at 20,000 and at 200,000 recipients.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from nashra.config.loader import parse_settings
from nashra.digest import find_digest, open_issue
from nashra.ingest import ingest
from nashra.mail.send import UnsubscribeLinks, list_id_for, send_digest
from nashra.mail.tokens import Tokens
from nashra.runtime import Runtime
from nashra.store import subscribers as db

REPO = Path(__file__).resolve().parent.parent


def bench_toml(url: str, port: int, connections: int, extra: str = "") -> str:
    """The config every sending bench uses: the demo digest over SMTP to the sink on `port`."""
    return (
        f'[database]\nurl = "{url}"\n[[digests]]\nname = "daily"\n'
        '[web]\npublic_url = "https://news.example/newsletter"\n'
        f'[mail]\ntransport = "smtp"\n[mail.smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        f"connections = {connections}\n{extra}"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_sink(port: int) -> int:
    """Start smtp-sink through the shared helper (installs postfix if missing); returns its pid."""
    for helper in (Path("/work/shared/tools/smtp-sink"), REPO.parent / "shared" / "tools" / "smtp-sink"):
        if helper.is_file():
            out = subprocess.run(["bash", str(helper), str(port)], capture_output=True, text=True, check=True)
            pid = int(out.stdout.strip().splitlines()[-1])
            break
    else:
        sink = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
        pid = subprocess.Popen(
            [sink, "-u", "nobody", f"127.0.0.1:{port}", "1000"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ).pid
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return pid
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"smtp-sink did not start on port {port}")


def populate(runtime: Runtime, count: int) -> None:
    now = datetime.now(UTC)
    with runtime.store.begin() as conn:
        list_id = db.ensure_list(conn, "default", now=now)
        conn.execute(
            db.subscribers.insert(),
            [
                {
                    "email": f"reader{n:06d}@example.com",
                    "name": f"قارئ {n}" if n % 2 else "",
                    "status": "active",
                    "consent_at": now,
                    "consent_source": "bench",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(count)
            ],
        )
        ids = conn.execute(db.subscribers.select().with_only_columns(db.subscribers.c.id)).scalars().all()
        conn.execute(
            db.subscriptions.insert(),
            [{"list_id": list_id, "subscriber_id": i, "digests": "", "created_at": now} for i in ids],
        )


def naive(runtime: Runtime, issue_id: int, port: int) -> tuple[float, int]:
    """One EmailMessage per recipient over one reused smtplib connection."""
    settings = runtime.settings
    digest = find_digest(settings, "daily")
    with runtime.store.connect() as conn:
        from nashra.digest import load_issue

        issue = load_issue(conn, issue_id)
        recipients = [(r.id, r.email, r.name) for r in db.iter_subscribers(conn)]
    links = UnsubscribeLinks(settings, Tokens.from_settings(settings))
    list_id = list_id_for(settings, digest)
    smtp = smtplib.SMTP("127.0.0.1", port)
    started = time.perf_counter()
    for subscriber_id, email, name in recipients:
        https, mailto = links(subscriber_id, email)
        message = EmailMessage()
        message["From"] = settings.mail.from_address
        message["To"] = f"{name} <{email}>" if name else email
        message["Subject"] = issue.subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = f"<naive.{issue_id}.{subscriber_id}@{settings.mail.sender_domain}>"
        message["List-Id"] = list_id
        message["List-Unsubscribe"] = f"<{https}>, <{mailto}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(
            issue.text.replace("%%UNSUBSCRIBE_URL%%", https).replace("%%SUBSCRIBER_EMAIL%%", email)
        )
        message.add_alternative(
            issue.html.replace("%%UNSUBSCRIBE_URL%%", https).replace("%%SUBSCRIBER_EMAIL%%", email),
            subtype="html",
        )
        smtp.send_message(message)
    elapsed = time.perf_counter() - started
    smtp.quit()
    return elapsed, len(recipients)


def smtp_source(port: int, count: int, eml: Path, connections: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            "/usr/sbin/smtp-source",
            "-d",
            "-s",
            str(connections),
            "-m",
            str(count),
            "-F",
            str(eml),
            "-f",
            "bench@example.com",
            "-t",
            "sink@example.com",
            f"127.0.0.1:{port}",
        ],
        check=True,
    )
    return time.perf_counter() - started


def nashra_round(
    port: int, recipients: int, connections: int, eml: Path, *, with_naive: bool
) -> tuple[float, int]:
    """One full send of the demo digest to `recipients` fresh subscribers (a new SQLite store):
    (seconds, message size in bytes), one of its messages written to `eml` for smtp-source;
    `with_naive` also times the naive baseline once."""
    work = Path(tempfile.mkdtemp(prefix="nashra-bench-"))
    try:
        settings = parse_settings(
            bench_toml(f"sqlite:///{work}/bench.db", port, connections), origin="bench", base_dir=work
        )
        with Runtime.open(settings) as runtime:
            ingest(runtime)
            populate(runtime, recipients)
            started = time.perf_counter()
            summary = send_digest(runtime, find_digest(settings, "daily"))
            seconds = time.perf_counter() - started
            assert summary.sent == recipients, summary
            assert summary.issue_id is not None
            with runtime.store.connect() as conn:
                assert open_issue(conn, "daily") is None
            size = _sample_message(runtime, summary.issue_id, eml)
            if with_naive:
                naive_seconds, naive_count = naive(runtime, summary.issue_id, port)
                print(
                    f"naive EmailMessage over one connection: {naive_count / naive_seconds:,.0f} msg/s; "
                    f"nashra {recipients / seconds:,.0f} msg/s in the same round"
                )
        return seconds, size
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, nargs="+", default=[2_000, 20_000])
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("NASHRA_SECRET", "bench-secret")
    port = free_port()
    sink = start_sink(port)
    print(f"smtp-sink on 127.0.0.1:{port}, {args.connections} connections, {os.cpu_count()} CPUs")
    eml = Path(tempfile.mkdtemp(prefix="nashra-bench-eml-")) / "digest.eml"
    try:
        for recipients in args.recipients:
            ours, theirs, ratios = [], [], []
            for round_ in range(args.rounds):  # interleaved: each Nashra round followed by its baseline
                first = recipients == args.recipients[0] and round_ == 0
                seconds, size = nashra_round(port, recipients, args.connections, eml, with_naive=first)
                source = smtp_source(port, recipients, eml, args.connections)
                ours.append(recipients / seconds)
                theirs.append(recipients / source)
                ratios.append(ours[-1] / theirs[-1])
            print(
                f"{recipients:>9,} recipients, message {size:,} bytes: nashra {statistics.median(ours):7,.0f} msg/s, "
                f"smtp-source {statistics.median(theirs):7,.0f} msg/s, ratio median {statistics.median(ratios):.2f}x "
                f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
            )
    finally:
        os.kill(sink, signal.SIGTERM)


def _sample_message(runtime: Runtime, issue_id: int, eml: Path) -> int:
    """Write one personalised message exactly as Nashra sent it, for smtp-source -F; its size.

    smtp-source prepends its own From: and To: lines, so the message's own are left out of the file
    (the bytes on the wire stay within a few dozen of Nashra's), and it adds CRLF itself: LF here.
    """
    from nashra.digest import load_issue
    from nashra.mail.message import MessageTemplate, Personal

    settings = runtime.settings
    digest = find_digest(settings, "daily")
    links = UnsubscribeLinks(settings, Tokens.from_settings(settings))
    with runtime.store.connect() as conn:
        issue = load_issue(conn, issue_id)
        person = next(iter(db.iter_subscribers(conn)))
    template = MessageTemplate(
        settings.mail,
        subject=issue.subject,
        html_body=issue.html,
        text_body=issue.text,
        date=datetime.now(UTC),
        list_id=list_id_for(settings, digest),
    )
    https, mailto = links(person.id, person.email)
    message = template.render(Personal(person.email, person.name, f"{issue_id}.{person.id}", https, mailto))
    head, body = message.split(b"\r\n\r\n", 1)
    kept = [line for line in head.split(b"\r\n") if not line.startswith((b"From: ", b"To: "))]
    eml.write_bytes(b"\n".join(kept).replace(b"\r\n ", b"\n ") + b"\n\n" + body.replace(b"\r\n", b"\n"))
    return len(message)


if __name__ == "__main__":
    sys.exit(main())
