"""Hashtags built from editor keywords, not scraped with ``#\\w+``.

Harakat and ZWNJ are not word characters for most tag parsers, so "#مُحَمَّد"
is read as "#م"; tatweel and punctuation break tags the same way. Tags are
therefore rebuilt from keywords with only letters, digits and underscores, after
the symbols that distinguish keywords ("C++", "C#", ".NET") are spelled out.
"""

import unicodedata
from collections.abc import Iterable

import regex

from nashra.text.clean import strip_harakat
from nashra.text.symbols import spell_out_symbols

# Combining marks left on Arabic letters once harakat are gone (Quranic
# annotation signs, honorifics): they split tags just like harakat do. Marks of
# other scripts stay, because Devanagari or Thai words are unreadable without them.
_ARABIC_MARKS = regex.compile(
    r"[\p{M}&&[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]]",
    flags=regex.VERSION1,
)
# Apostrophes vanish ("aujourd'hui" -> "aujourdhui"); any other non-word
# character separates words, so "العلاقات الجزائرية-الروسية" keeps three readable words.
_APOSTROPHES = regex.compile(r"['’ʼ]")
_WORD = regex.compile(r"[\p{L}\p{M}\p{Nd}]+")
_DIGITS_ONLY = regex.compile(r"[\p{Nd}_]+")


def _tag_body(keyword: str) -> str:
    text = spell_out_symbols(strip_harakat(keyword))
    text = regex.sub(r"\p{Cf}", "", text)  # ZWNJ/ZWJ and bidi marks sit inside words
    text = _ARABIC_MARKS.sub("", text)
    text = _APOSTROPHES.sub("", text)
    return "_".join(_WORD.findall(text))


def _key(body: str) -> str:
    return unicodedata.normalize("NFKC", body).casefold()


def keyword_key(keyword: str) -> str:
    """What a keyword says once case, harakat, tatweel, invisible marks and separators are set aside.

    Two keywords with the same key are one subject ("مهرجان الشِّعر", "مهرجان الشعر"); tag
    feeds use it to tell a real spelling variant from two subjects whose slugs happen to meet.
    """
    return _key(_tag_body(keyword))


def hashtags(keywords: Iterable[str], *, limit: int | None = None) -> list[str]:
    """Turn keywords into tags every platform parses whole, in the editor's order.

    Tags made only of digits are dropped because X and Mastodon do not link
    them. Duplicates are detected after NFKC and case folding ("Algérie" and
    "ALGÉRIE" are one tag) but not after Arabic spelling unification, since
    "أمن" and "آمن" are different words.
    """
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    tags: list[str] = []
    seen: set[str] = set()
    for keyword in keywords:
        if limit is not None and len(tags) >= limit:
            break
        body = _tag_body(keyword)
        if not body or _DIGITS_ONLY.fullmatch(body):
            continue
        key = _key(body)
        if key in seen:  # a later keyword that reads the same is dropped, never merged into a new tag
            continue
        seen.add(key)
        tags.append(f"#{body}")
    return tags
