"""Tokens the mail layer replaces per recipient, and the generic values used when no one is known.

The digest is rendered once; personalising it is a plain string replacement per message, which is
what lets a send to thousands of subscribers stay cheap. Tokens survive Jinja2 autoescaping and
MJML untouched (only `%` and capitals), so they can sit in an href or in the text part.
"""

from __future__ import annotations

UNSUBSCRIBE_URL = "%%UNSUBSCRIBE_URL%%"
SUBSCRIBER_EMAIL = "%%SUBSCRIBER_EMAIL%%"
CLICK_READER = "%%CLICK_READER%%"
"""Ends every story link of a digest with per-subscriber click records (nashra.digest.clicks): the
recipient's "/<reader token>" in mail, nothing anywhere else."""

ALL = (UNSUBSCRIBE_URL, SUBSCRIBER_EMAIL, CLICK_READER)


def fill(content: str, *, unsubscribe_url: str, subscriber_email: str = "") -> str:
    """Replace every token; used for the web archive and previews, where no subscriber is known
    (their story links then count clicks in aggregate only)."""
    return (
        content.replace(UNSUBSCRIBE_URL, unsubscribe_url)
        .replace(SUBSCRIBER_EMAIL, subscriber_email)
        .replace(CLICK_READER, "")
    )
