"""Share cards: an image for a post whose article has none, or for a channel that always wants one.

A card shows the article's section, its headline and the site's name, in the colours and at the
sizes of `[cards]`, in Arabic that is shaped (letters joined, harakat placed) and laid out right to
left by libraqm — never as isolated letters (`shaping`). A long headline is wrapped between words at
the widths the font really draws and, when it needs more than `max_lines` lines even at the smallest
type, cut at a word with an ellipsis (`lines`).

For channel adapters:

    card_for(settings, stored, "square", image_format="jpeg") -> Path
        The card's file under `<paths.data>/cards/<article id>/`, drawn on first use and then reused
        for this version of the article, size and design (`cache`).
    render_card(settings, stored, "landscape") -> bytes
        The encoded card, drawn every time (a preview, a test).
    layout_card(settings, stored, "portrait") -> CardLayout
        What the card will say and where, without drawing it: its title lines, type sizes, and
        whether the headline was shortened.

Size names come from `[cards.sizes]`: "landscape" 1200×630 (link previews on Facebook and X),
"square" 1080×1080 (Instagram), "portrait" 1080×1350 (tall feed posts), and any an operator adds.
An unknown name, a font that cannot be read or a Pillow without libraqm raise `CardError`.
"""

from nashra.cards.cache import card_for
from nashra.cards.render import CardLayout, ImageFormat, TextBlock, layout_card, render_card

__all__ = ["CardLayout", "ImageFormat", "TextBlock", "card_for", "layout_card", "render_card"]
