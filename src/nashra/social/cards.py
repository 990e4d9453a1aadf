"""Share cards as images a platform fetches by URL: the card file published under the public folder.

Instagram takes an image *URL*, which Meta's servers download over the public internet, so a
card drawn on this machine is of no use until it is published. `public_card` copies it to
`<paths.public>/cards/`, which whatever serves the public folder at `site.base_url` (as it serves
the feeds) makes reachable, and returns that URL. The card itself is drawn elsewhere: a channel
is handed a `CardMaker` through its context; without one, only articles with their own image can
go to a platform that requires one.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

import httpx

from nashra.cards import card_for
from nashra.config import Settings
from nashra.errors import CardError, DeliveryError
from nashra.feeds import public_url
from nashra.feeds.write import write_if_changed
from nashra.model import Image, StoredArticle
from nashra.social.protocol import ChannelContext

CARDS_FOLDER = "cards"


def public_card(settings: Settings, card: Path, *, alt: str) -> Image:
    """`card` copied (atomically, only when its bytes changed) to the public cards folder, as an
    image at its public URL."""
    target = settings.public_dir / CARDS_FOLDER / card.name
    if card.resolve() != target.resolve():
        write_if_changed(target, card.read_bytes())
    return Image(
        url=public_url(settings, f"{CARDS_FOLDER}/{card.name}"),
        alt=alt,
        mime_type=mimetypes.guess_type(card.name)[0],
    )


def image_or_card(
    context: ChannelContext, article: StoredArticle, *, use_article_image: bool, preset: str
) -> Image | None:
    """The article's own image (when the channel uses it), else a published share card when the
    context can draw one, else None.

    Drawing a card writes files (no network): it happens while the post is rendered, the one step
    that sees the article, so a dry run leaves the cards it would post in the public folder.
    """
    image = article.article.image if use_article_image else None
    if image is not None or context.cards is None:
        return image
    try:
        card = context.cards(article, preset)
    except CardError as exc:  # e.g. no FriBiDi: the post fails with why, the other channels go on
        raise DeliveryError(f"no share card: {exc}", where=article.url) from None
    return public_card(context.settings, card, alt=article.title)


def channel_context(settings: Settings, http: httpx.Client) -> ChannelContext:
    """What every channel is built with: settings, the shared HTTP client, and share cards drawn
    as JPEG (the one format every platform that requires an image takes)."""

    def cards(article: StoredArticle, preset: str) -> Path:
        return card_for(settings, article, preset, image_format="jpeg")

    return ChannelContext(settings, http, cards=cards)
