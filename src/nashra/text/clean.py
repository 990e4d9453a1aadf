"""Text hygiene before anything leaves the system, and keys for finding duplicates.

Feed titles and bodies arrive with NUL bytes, C1 controls from mis-decoded
Windows-1252, stray bidi marks pasted from word processors and decomposed
letters from macOS. lxml (and so feedgen) raises ValueError on the first
control character, and stray bidi controls reorder text unpredictably and cost
2 each on X, so all of it is removed at the door.
"""

import re
import unicodedata

import regex

from nashra.text.bidi import BIDI_CONTROL_CLASS
from nashra.text.memo import memoise_short

# Invisible characters pasted from word processors and CMS editors: zero-width space, word
# joiner and byte-order marks (a BOM inside text is never a BOM). They split words for search,
# matching and hashtags and reach readers as stray gaps. ZWNJ and ZWJ are not among them: they
# shape Persian and Urdu words and join emoji sequences.
_INVISIBLE_CLASS = "\u200b\u2060\ufeff"
# Removed outright (counted by ``clean_text_report``): controls that are not
# whitespace (C0, DEL, C1), surrogates (invalid in XML 1.0 and unencodable in
# UTF-8), noncharacters (U+FFFE/U+FFFF are invalid in XML 1.0; the rest are
# never meant for interchange), bidi controls and the invisible characters above.
_REMOVED = regex.compile(
    rf"[[\p{{Cc}}--\p{{White_Space}}]\p{{Cs}}\p{{Noncharacter_Code_Point}}{BIDI_CONTROL_CLASS}{_INVISIBLE_CLASS}]",
    flags=regex.VERSION1,
)
# Text made only of these has nothing to remove (checked against _REMOVED for every code point
# in tests/text/test_text_clean.py): most text, tested by `re` far faster than the regex above.
_NOTHING_TO_REMOVE = re.compile(
    "[\t\n\x0b\x0c\r\x20-\x7e\xa0-\u061b\u061d-\u200a\u200c\u200d\u2010-\u2029"
    "\u202f-\u205f\u2070-\ud7ff\ue000-\ufdcf\ufdf0-\ufefe\uff00-\ufffd]*"
)
# With newlines kept: every line terminator becomes "\n"; other whitespace
# except tab collapses to one space so layout survives but noise does not.
# Neither pattern matches what it would replace with itself (a lone "\n", a lone space): most of a
# text's line breaks and spaces, which would otherwise each be copied as a match.
_LINE_BREAK = re.compile(r"\r\n?|[\v\f\x85\u2028\u2029]")
# \p{White_Space} but \n and \t, spelt out for `re` (the same set is checked in the tests).
HORIZONTAL_SPACE_CLASS = "\x0b\x0c\r\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_NOT_SPACE_CLASS = HORIZONTAL_SPACE_CLASS.replace("\x20", "")
_HORIZONTAL_RUN = re.compile(f"[{HORIZONTAL_SPACE_CLASS}]{{2,}}|[{_NOT_SPACE_CLASS}]")

_HARAKAT = "\u064b-\u065f\u0670"
_TATWEEL = "\u0640"
_HARAKAT_AND_TATWEEL = regex.compile(f"[{_HARAKAT}{_TATWEEL}]")
_FORMAT = regex.compile(r"\p{Cf}")
_DIGIT = regex.compile(r"\p{Nd}")
_PUNCTUATION_OR_SYMBOL = regex.compile(r"[\p{P}\p{S}]")
# Spelling variants that writers, keyboards and OCR use interchangeably; a match
# key must not tell "إعلان" from "اعلان" or "مدرسة" from "مدرسه".
_LETTER_VARIANTS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"}
)


def clean_text_report(s: str, *, keep_newlines: bool = False) -> tuple[str, int]:
    """Clean like ``clean_text`` and also say how many characters were dropped.

    The count lets callers log that a source sends garbage; whitespace
    collapsing and NFC recomposition are normalisation, not removal, so they are
    not counted.
    """
    stripped = s if _NOTHING_TO_REMOVE.fullmatch(s) else _REMOVED.sub("", s)
    removed = len(s) - len(stripped)
    text = unicodedata.normalize("NFC", stripped)
    if keep_newlines:
        text = _HORIZONTAL_RUN.sub(" ", _LINE_BREAK.sub("\n", text))
        return text.strip(), removed
    # str.split() splits on exactly \p{White_Space} once the controls above are gone (its only
    # extras, U+001C-U+001F, were removed), and is several times faster than a regex on long bodies.
    return " ".join(text.split()), removed


def clean_text(s: str, *, keep_newlines: bool = False) -> str:
    """Make any string safe for XML (lxml/feedgen) and free of stray bidi controls.

    Controls are removed before NFC so a combining mark that followed a removed
    character still composes with its letter.
    """
    return clean_text_report(s, keep_newlines=keep_newlines)[0]


def strip_harakat(s: str) -> str:
    """Remove harakat and tatweel, which are optional in news Arabic but break tags and matching.

    NFC first: in decomposed text hamza and madda are combining marks in the
    harakat block, and stripping them would turn أ into ا.
    """
    return _HARAKAT_AND_TATWEEL.sub("", unicodedata.normalize("NFC", s))


def _ascii_digit(match: regex.Match[str]) -> str:
    return str(unicodedata.decimal(match.group()))


@memoise_short(maxsize=4096)
def normalize_for_match(s: str) -> str:
    """Build a key under which two spellings of the same headline compare equal.

    Only for comparison, never for display: it erases distinctions (hamza,
    ta marbuta, punctuation, case) that editors vary on but readers don't notice.
    Memoised by the exact text: the same headline is keyed when a digest removes
    duplicates, when it lists its teasers and when an issue records what it carried.
    """
    text = unicodedata.normalize("NFKC", s)
    text = _FORMAT.sub("", text)
    text = _HARAKAT_AND_TATWEEL.sub("", text)
    text = text.translate(_LETTER_VARIANTS)
    text = _DIGIT.sub(_ascii_digit, text)
    text = _PUNCTUATION_OR_SYMBOL.sub(" ", text)
    return " ".join(text.casefold().split())
