"""HTML from sources turned into plain text, a teaser paragraph, or safe HTML.

CMS bodies (WordPress above all) open with captions, pull quotes, "read also"
links and bylines; the first <p> is rarely the lede. Plain text is what social
posts and the text part of digests need, and sanitised HTML is what feeds and
digest emails may carry.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import nh3
import regex

from nashra.text.clean import clean_text
from nashra.text.graphemes import grapheme_len

_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "caption",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_DROPPED_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg", "math"})
# Blocks that are not the story's own prose, wherever they are nested.
_NOT_PROSE_TAGS = frozenset(
    {"h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figure", "figcaption", "caption"}
)
_NOT_PROSE_CLASSES = ("quote", "caption")
_MIN_PARAGRAPH_GRAPHEMES = 40

# \p{White_Space} (the regex module's \s) for `re`; runs of two or more, or one that is not a space:
# a lone space, most of them, is left alone instead of being replaced by itself.
WHITE_SPACE_CLASS = "\t\n\x0b\x0c\r\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_SPACE_RUN = re.compile(f"[{WHITE_SPACE_CLASS}]{{2,}}|[{WHITE_SPACE_CLASS.replace(' ', '')}]")
_LETTER_OR_DIGIT = regex.compile(r"[\p{L}\p{N}]")

_SAFE_TAGS = frozenset(
    {
        "p",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "figure",
        "figcaption",
        "img",
        "a",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "b",
        "i",
        "br",
    }
)
_SAFE_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt"},
    # An English quotation inside an Arabic article needs dir="ltr" to render right.
    "*": {"dir", "lang"},
}
_SAFE_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_IMAGE_SCHEMES = frozenset({"http", "https"})
# nh3 always double-quotes attribute values and escapes '"' and '>' inside them, and never nests
# <a> in <a>; so in its output ' href="' can only start an attribute, and these match exactly the
# elements left without the attribute that gives them meaning.
_LINK_WITHOUT_HREF = regex.compile(r'<a(?![^>]* href=")[^>]*>(.*?)</a>', flags=regex.DOTALL)
_IMAGE_WITHOUT_SRC = regex.compile(r'<img(?![^>]* src=")[^>]*>')
_LOOKS_LIKE_HTML = regex.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*[\s/>]|/[a-zA-Z]|!--)")


@dataclass
class _Block:
    """Text of one block-level box, with the element that owns it for filtering."""

    element: lxml.html.HtmlElement
    pieces: list[str] = field(default_factory=list)
    has_unlinked_text: bool = False

    @property
    def text(self) -> str:
        lines = "".join(self.pieces).split("\n")
        return "\n".join(" ".join(line.split()) for line in lines).strip("\n")


class _BlockCollector:
    """Walks a tree once, splitting text wherever a block element starts or ends."""

    def __init__(self, root: lxml.html.HtmlElement) -> None:
        self.blocks: list[_Block] = []
        self._open = [_Block(root)]

    def _flush(self) -> None:
        current = self._open[-1]
        if current.pieces:
            self.blocks.append(current)
            self._open[-1] = _Block(current.element)

    def _add(self, text: str | None, in_link: bool) -> None:
        if not text:
            return
        current = self._open[-1]
        current.pieces.append(_SPACE_RUN.sub(" ", text))
        if not in_link and _LETTER_OR_DIGIT.search(text):
            current.has_unlinked_text = True

    def walk(self, element: lxml.html.HtmlElement, in_link: bool = False) -> None:
        tag = element.tag if isinstance(element.tag, str) else None
        if tag is None or tag in _DROPPED_TAGS:
            return
        if tag == "br":
            self._open[-1].pieces.append("\n")
            return
        is_block = tag in _BLOCK_TAGS
        in_link = in_link or tag == "a"
        if is_block:
            self._flush()
            self._open.append(_Block(element))
        self._add(element.text, in_link)
        for child in element:
            self.walk(child, in_link)
            self._add(child.tail, in_link)
        if is_block:
            self._flush()
            self._open.pop()

    def finish(self) -> list[_Block]:
        self._flush()
        return [block for block in self.blocks if block.text]


def _blocks(html: str) -> list[_Block]:
    """Parse leniently and split into blocks; empty or unparsable input has none."""
    cleaned = clean_text(html, keep_newlines=True)
    if not cleaned:
        return []
    # Bytes with an explicit encoding: lxml refuses str input that carries an
    # XML encoding declaration, and a stale <meta charset> must not win.
    parser = lxml.html.HTMLParser(encoding="utf-8")
    try:
        document = lxml.html.document_fromstring(cleaned.encode("utf-8"), parser=parser)
    except lxml.etree.ParserError:
        return []
    body = cast("lxml.html.HtmlElement", document).body  # lxml-stubs type the result as a bare _Element
    if body is None:  # e.g. only a <title>, or a <frameset>
        return []
    collector = _BlockCollector(body)
    collector.walk(body)
    return collector.finish()


def html_to_text(html: str) -> str:
    """Readable plain text: one blank line between blocks, <br> kept as a line break."""
    return "\n\n".join(block.text for block in _blocks(html))


def _is_prose(element: lxml.html.HtmlElement) -> bool:
    for node in (element, *element.iterancestors()):
        if node.tag in _NOT_PROSE_TAGS:
            return False
        classes = (node.get("class") or "").lower()
        if any(marker in classes for marker in _NOT_PROSE_CLASSES):
            return False
    return True


def _prose(html: str) -> Iterator[str]:
    """Blocks of the story's own prose: no heading, quote, caption, image-only or link-only block."""
    for block in _blocks(html):
        if block.has_unlinked_text and _is_prose(block.element):
            yield block.text


def first_paragraph(html: str) -> str | None:
    """The lede: first block of the story's own prose long enough to stand alone as a teaser.

    Headings, quotes, captions, image-only or link-only blocks ("read also")
    and short lines (bylines, datelines, kickers) are skipped.
    """
    return next((text for text in _prose(html) if grapheme_len(text) >= _MIN_PARAGRAPH_GRAPHEMES), None)


def excerpt_source(lead: str, body_html: str) -> str:
    """The text a teaser, feed summary or post excerpt is cut from, as one line.

    The editor's lead first (WordPress sends it as HTML, Markdown front matter as text), else the
    story's first real paragraph, else the first prose of a body too short to have one: a
    one-line brief is still better than no excerpt. Never a heading, quote or caption.
    """
    text = clean_text(html_to_text(lead) if _LOOKS_LIKE_HTML.search(lead) else lead)
    if text:
        return text
    prose = list(_prose(body_html))
    lede = next((p for p in prose if grapheme_len(p) >= _MIN_PARAGRAPH_GRAPHEMES), prose[0] if prose else "")
    return clean_text(lede)


def _kept_url(base_url: str | None) -> Callable[[str, str, str], str | None]:
    """Drop empty links and images that cannot become an absolute http(s) URL of the source.

    An empty href would be rewritten to the base, i.e. a link to the article itself; a relative
    image without a base would be fetched by the reader from the feed's or the mail's host.
    """

    def keep(element: str, attribute: str, value: str) -> str | None:
        if element == "a" and attribute == "href":
            return value if value.strip() else None
        if element == "img" and attribute == "src":
            url = urljoin(base_url, value.strip()) if base_url else value.strip()
            parts = urlsplit(url)
            return url if parts.scheme in _IMAGE_SCHEMES and parts.netloc else None
        return value

    return keep


def sanitize_html(html: str, *, base_url: str | None = None, cleaned: bool = False) -> str:
    """HTML safe to embed in feeds and emails: whitelisted tags, absolute links, no controls.

    Links and images are made absolute because feed readers and mail clients
    have no base URL to resolve "/ar/2025/..." against. html5ever (inside nh3)
    repairs unclosed and misnested tags. A link whose address was dropped
    (``javascript:``, empty) becomes its text, and an image without a usable
    address goes: readers would otherwise link to the article itself or show a
    broken image. `cleaned`: the caller already ran every part through `clean_text` (feeds clean
    the body to report what it lost), so it is not done twice.
    """
    safe = nh3.clean(
        html if cleaned else clean_text(html, keep_newlines=True),
        tags=set(_SAFE_TAGS),
        attributes=_SAFE_ATTRIBUTES,
        url_schemes=set(_SAFE_URL_SCHEMES),
        url_relative=("rewrite_with_base", base_url) if base_url else "pass_through",
        attribute_filter=_kept_url(base_url),
    )
    return _IMAGE_WITHOUT_SRC.sub("", _LINK_WITHOUT_HREF.sub(r"\1", safe))
