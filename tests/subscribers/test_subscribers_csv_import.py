"""CSV import through the real CLI, on both databases: the encodings Arabic spreadsheets export
(windows-1256, UTF-16 with a BOM, UTF-8 with a BOM), fields too long or holding a NUL byte, a bad
byte deep in the file and an unclosed quote. The default is all or nothing: one bad line and the
database is untouched, every bad line reported as `file:line: problem`; `--skip-bad` keeps the good
rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from nashra.cli import app
from nashra.config import Settings
from nashra.runtime import Runtime
from nashra.store import subscribers as db

pytestmark = pytest.mark.usefixtures("restore_logging")

# Enough Arabic for a statistical guess: charset-normalizer cannot tell two short names in
# windows-1256 from a Latin code page (the import says which encoding it used; --encoding overrides).
NAMES = {
    "samir@example.com": "سمير بن علي",
    "leila@example.org": "ليلى بنت أحمد",
    "omar@example.net": "عمر الفاروق",
    "nour@example.com": "نور الهدى",
    "youssef@example.com": "يوسف القاضي",
    "fatima@example.org": "فاطمة الزهراء",
    "khaled@example.net": "خالد بن الوليد",
    "meriem@example.com": "مريم عيسى",
}
ARABIC = "email,name\n" + "".join(f"{email},{name}\n" for email, name in NAMES.items())


def _import(settings: Settings, path: Path, *extra: str) -> Result:
    return CliRunner().invoke(
        app, ["--config", str(settings.origin), "subscribers", "import", str(path), *extra]
    )


def _emails(settings: Settings) -> dict[str, str]:
    with Runtime.open(settings) as runtime, runtime.store.connect() as conn:
        return {s.email: s.name for s in db.iter_subscribers(conn)}


def _numbered(count: int) -> list[bytes]:
    return [f"reader{i}@example.com,قارئ {i}\n".encode() for i in range(1, count + 1)]


@pytest.mark.parametrize(
    ("encoded", "named"),
    [
        (ARABIC.encode("windows-1256"), "cp1256"),
        (ARABIC.encode("utf-16"), "utf-16"),  # little-endian with a BOM on this machine
        (ARABIC.encode("utf-8-sig"), "utf-8-sig"),
    ],
    ids=["windows-1256", "utf-16-le-bom", "utf-8-bom"],
)
def test_import_detects_the_encoding_and_says_which(
    make_settings: Callable[[str], Settings], tmp_path: Path, encoded: bytes, named: str
) -> None:
    settings = make_settings("")
    path = tmp_path / "readers.csv"
    path.write_bytes(encoded)
    result = _import(settings, path)
    assert result.exit_code == 0, result.output
    assert f"encoding {named}" in result.output
    assert _emails(settings) == NAMES


def test_import_honours_encoding_option(make_settings: Callable[[str], Settings], tmp_path: Path) -> None:
    settings = make_settings("")
    path = tmp_path / "readers.csv"
    path.write_bytes("email,name\nnour@example.com,نور\n".encode("windows-1256"))
    result = _import(settings, path, "--encoding", "cp1256")
    assert result.exit_code == 0, result.output
    assert "encoding cp1256" in result.output
    assert _emails(settings) == {"nour@example.com": "نور"}
    assert _import(settings, path, "--encoding", "no-such-codec").exit_code != 0


def test_import_reports_an_over_long_field_and_a_nul_byte(
    make_settings: Callable[[str], Settings], tmp_path: Path
) -> None:
    settings = make_settings("")
    path = tmp_path / "readers.csv"
    path.write_text(
        f"email,name\nok@example.com,حسن\nlong@example.com,{'ن' * 200_000}\n"
        "nul@example.com,a\x00b\nbell@example.com,\x07\n",
        encoding="utf-8",
    )
    result = _import(settings, path)
    assert result.exit_code == 1, result.output
    assert f"{path}:3:" in result.output and "200000 characters" in result.output
    assert f"{path}:4:" in result.output and "U+0000" in result.output
    assert f"{path}:5:" in result.output and "U+0007" in result.output
    assert "nothing imported" in result.output
    assert _emails(settings) == {}

    skipped = _import(settings, path, "--skip-bad")
    assert skipped.exit_code == 1, skipped.output
    assert _emails(settings) == {"ok@example.com": "حسن"}


def test_bad_byte_at_row_702_imports_nothing_by_default(
    make_settings: Callable[[str], Settings], tmp_path: Path
) -> None:
    settings = make_settings("")
    rows = _numbered(1000)
    rows[700] = b"reader701@example.com,\xff\xfe broken\n"  # row 701 is line 702 (after the header)
    path = tmp_path / "readers.csv"
    path.write_bytes(b"email,name\n" + b"".join(rows))

    result = _import(settings, path)
    assert result.exit_code == 1, result.output
    assert f"{path}:702:" in result.output and "utf-8" in result.output
    assert "nothing imported" in result.output
    assert _emails(settings) == {}

    skipped = _import(settings, path, "--skip-bad")
    assert skipped.exit_code == 1, skipped.output
    assert "added 999" in skipped.output and f"{path}:702:" in skipped.output
    emails = _emails(settings)
    assert len(emails) == 999 and "reader701@example.com" not in emails

    again = _import(settings, path, "--skip-bad")
    assert "added 0" in again.output and "unchanged 999" in again.output
    assert len(_emails(settings)) == 999


def test_unclosed_quote_is_reported_at_its_line_and_nothing_is_imported(
    make_settings: Callable[[str], Settings], tmp_path: Path
) -> None:
    settings = make_settings("")
    rows = _numbered(19)
    rows[8] = 'reader9@example.com,"قارئ بلا علامة إغلاق\n'.encode()  # line 10
    path = tmp_path / "readers.csv"
    path.write_bytes(b"email,name\n" + b"".join(rows))

    result = _import(settings, path)
    assert result.exit_code == 1, result.output
    assert f"{path}:10:" in result.output and "quote" in result.output
    assert "nothing imported" in result.output
    assert _emails(settings) == {}


def test_a_field_may_not_span_lines(make_settings: Callable[[str], Settings], tmp_path: Path) -> None:
    """A line break inside a quoted field is how an unclosed quote swallows the rows after it,
    even when a later quote closes it: the file names one subscriber per line."""
    settings = make_settings("")
    path = tmp_path / "readers.csv"
    path.write_text(
        'email,name\na@example.com,"one\nb@example.com,two"\nc@example.com,three\n', encoding="utf-8"
    )
    result = _import(settings, path, "--skip-bad")
    assert result.exit_code == 1, result.output
    assert f"{path}:2:" in result.output and "lines 2-3" in result.output
    assert _emails(settings) == {"c@example.com": "three"}
