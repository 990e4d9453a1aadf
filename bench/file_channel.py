"""Posting an archive through the file social channel, by the real `post` stage path
(`post_pending`: pick, record "publishing", publish, record the outcome): Nashra's file channel,
which reads its outbox once and then only what was appended, against the channel it replaced
(BASELINE below: the previous `_has`, which re-read and parsed the whole outbox for every post).

    .venv/bin/python bench/file_channel.py [--articles 10000] [--rounds 1]

Prints the median time per post over the first and the last 1,000 posts of each run (the time
between consecutive publishes, so it includes the stage's own bookkeeping and the outbox fsync).
Linear posting keeps the two equal; the baseline's last 1,000 each read a 10,000-line outbox.
Runs alternate (Nashra first, then the baseline, ...), each on a fresh SQLite database and an
empty outbox.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

from nashra.config.loader import parse_settings
from nashra.model import Article
from nashra.runtime import Runtime
from nashra.social.channels import file as file_channel
from nashra.social.post import post_pending
from nashra.social.protocol import Post, Published, Timing
from nashra.store.articles import upsert_articles

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def baseline_has(self: file_channel.FileChannel, key: str) -> bool:
    """BASELINE: the previous FileChannel._has, verbatim."""
    if not self.path.is_file():
        return False
    with self.path.open(encoding="utf-8") as lines:
        return any(json.loads(line).get("key") == key for line in lines if line.strip())


def run(articles: int, *, baseline: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        toml = (
            f'[database]\nurl = "sqlite:///{base}/bench.db"\n[paths]\noutbox = "{base}/outbox"\n'
            '[[channels]]\ntype = "file"\nname = "archive"\nmax_age_hours = 1000000\n'
        )
        runtime = Runtime.open(parse_settings(toml, origin="bench", base_dir=base))
        with runtime.store.begin() as conn:
            upsert_articles(
                conn,
                [
                    Article(
                        source="bench",
                        guid=f"a{n}",
                        url=f"https://news.example.org/{n}",
                        title=f"خبر رقم {n}: افتتاح الدورة الثانية عشرة لمهرجان الشعر في الواحات",
                        published_at=NOW - timedelta(minutes=articles - n),
                        section="ثقافة",
                        tags=("مهرجان الشعر", "الواحات"),
                        lead="افتتحت الدورة الثانية عشرة لمهرجان الشعر الشعبي في الواحات مساء أمس.",
                    )
                    for n in range(articles)
                ],
                now=NOW,
            )
        stamps: list[float] = []
        original_publish = file_channel.FileChannel.publish
        original_has = file_channel.FileChannel._has

        def publish(self: file_channel.FileChannel, post: Post) -> Published:
            published = original_publish(self, post)
            stamps.append(time.perf_counter())
            return published

        file_channel.FileChannel.publish = publish  # type: ignore[method-assign]
        if baseline:
            file_channel.FileChannel._has = baseline_has  # type: ignore[method-assign]
        try:
            timing = Timing(now=lambda: datetime.now(UTC))
            start = time.perf_counter()
            run_ = post_pending(runtime, timing=timing)
            total = time.perf_counter() - start
        finally:
            file_channel.FileChannel.publish = original_publish  # type: ignore[method-assign]
            file_channel.FileChannel._has = original_has  # type: ignore[method-assign]
        posted = sum(1 for r in run_.results if r.status == "posted")
        outbox = base / "outbox" / "social" / "archive.jsonl"
        lines = len(outbox.read_bytes().splitlines())
        runtime.close()
    assert posted == articles == lines, (posted, articles, lines)
    gaps = [b - a for a, b in pairwise(stamps)]
    return {
        "total": total,
        "first": statistics.median(gaps[:1000]),
        "last": statistics.median(gaps[-1000:]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    samples: dict[str, list[dict[str, float]]] = {"nashra": [], "baseline": []}
    for _ in range(args.rounds):
        for label in ("nashra", "baseline"):
            samples[label].append(run(args.articles, baseline=label == "baseline"))
    print(f"{args.articles:,} articles posted through the file channel; medians of {args.rounds} run(s)")
    print(f"{'channel':<10}{'total s':>9}{'ms/post first 1k':>18}{'ms/post last 1k':>17}{'last/first':>12}")
    for label, runs in samples.items():
        total = statistics.median(r["total"] for r in runs)
        first = statistics.median(r["first"] for r in runs) * 1000
        last = statistics.median(r["last"] for r in runs) * 1000
        print(f"{label:<10}{total:>9.1f}{first:>18.2f}{last:>17.2f}{last / first:>12.2f}")


if __name__ == "__main__":
    main()
