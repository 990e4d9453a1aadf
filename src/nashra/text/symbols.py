"""Symbols that tell one keyword from another, spelled out as letters every platform keeps.

Hashtags and URL slugs keep only letters, digits and separators, so "C++", "C#" and "C" would
all become "C", and ".NET" would become "NET": different subjects merged into one tag or one tag
feed. Spelling the symbol out keeps them apart in a form X, Mastodon and Bluesky link whole and
a URL carries as is.
"""

import regex

_AFTER_WORD = r"(?<=[\p{L}\p{M}\p{Nd}])"
_SPELLINGS = (
    (regex.compile(_AFTER_WORD + r"\+\+"), "PlusPlus"),  # C++
    (regex.compile(_AFTER_WORD + r"\+(?![\p{L}\p{M}\p{Nd}])"), "Plus"),  # Disney+, A+
    (regex.compile(_AFTER_WORD + r"[#♯＃]"), "Sharp"),  # C#, F#
    # A dot that opens a word (.NET, .io); one between words ("Node.js") or at the end
    # ("U.S.") is punctuation and separates words as before.
    (regex.compile(r"(?<![\p{L}\p{M}\p{Nd}.])\.(?=[\p{L}\p{Nd}])"), "dot"),
)


def spell_out_symbols(keyword: str) -> str:
    """Replace a distinguishing "++", "+", "#" or leading "." with a word: "C++" -> "CPlusPlus"."""
    for pattern, word in _SPELLINGS:
        keyword = pattern.sub(word, keyword)
    return keyword
