"""Story links that go through the click redirect, `<web.public_url>/c/<token>`, and their tokens.

A digest with `count_clicks` renders every link to a story — title, image and "read more", in the
HTML and in the text part — as such a link (the templates write `t.url`, which is it). The token is
the digest's name and the article's id, signed with HMAC (itsdangerous, a salt of its own, the
install's link key). It names no target: the redirect (nashra.web.clicks) sends the reader to the
URL that the digest's issue recorded for that article, so no link can lead anywhere Nashra did not
put in an issue itself. An article is in at most one issue of a digest (the next issue never
repeats one), so digest and article name the issue; its id could not be in the link, which is made
when the issue is rendered, before it is recorded with this very HTML.

With `clicks_per_subscriber` every such link ends with the CLICK_READER placeholder: the mail
layer puts "/<reader token>" there for each recipient (the issue and subscriber ids, signed with
another salt), every public copy (the archive, previews) nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from itsdangerous import BadData, Signer
from itsdangerous.encoding import base64_decode, base64_encode

from nashra.config import Settings
from nashra.config.digests import DigestSettings
from nashra.digest.compose import Composition, Teaser
from nashra.digest.placeholders import CLICK_READER
from nashra.signing_key import load_secret

CLICK_PATH = "/c/"
"""Where the redirect answers, below web.public_url."""


class ClickError(ValueError):
    """A click link (or its reader part) that Nashra did not sign as it stands."""


@dataclass(frozen=True, slots=True)
class ClickedLink:
    digest: str
    article_id: str


@dataclass(frozen=True, slots=True)
class ClickReader:
    issue_id: int
    subscriber_id: int


class ClickTokens:
    """Makes and checks the two click tokens: "<base64 of article id and digest>.<HMAC>" for a
    story link, "<issue id>.<subscriber id>.<HMAC>" for its reader part. Neither expires: a link in
    an old issue still reaches its story. Salts of their own, so no other token of the install (a
    confirm or unsubscribe link) is ever taken for one, nor one kind for the other."""

    def __init__(self, secret: str) -> None:
        self._links = Signer(secret, salt="nashra.click")
        self._readers = Signer(secret, salt="nashra.click.reader")

    @classmethod
    def from_settings(cls, settings: Settings) -> ClickTokens:
        return cls(load_secret(settings))

    def link(self, digest: str, article_id: str) -> str:
        payload = base64_encode(f"{article_id}\n{digest}")  # URL-safe alphabet, no padding
        return self._links.sign(payload).decode("ascii")

    def read_link(self, token: str) -> ClickedLink:
        try:
            article_id, newline, digest = (
                base64_decode(self._links.unsign(token)).decode("utf-8").partition("\n")
            )
        except (BadData, UnicodeError):
            raise ClickError("invalid click link") from None
        if not newline or not article_id or not digest:
            raise ClickError("invalid click link")
        return ClickedLink(digest, article_id)

    def reader(self, issue_id: int, subscriber_id: int) -> str:
        return self._readers.sign(f"{issue_id}.{subscriber_id}").decode("ascii")

    def reader_part(self, issue_id: int, subscriber_id: int) -> str:
        """What a recipient's message carries in place of CLICK_READER: one HMAC per message."""
        return "/" + self.reader(issue_id, subscriber_id)

    def read_reader(self, token: str) -> ClickReader:
        try:
            issue, _, subscriber = self._readers.unsign(token).decode("ascii").partition(".")
        except (BadData, UnicodeError):
            raise ClickError("invalid reader") from None
        if not (issue.isdigit() and subscriber.isdigit()):
            raise ClickError("invalid reader")
        return ClickReader(int(issue), int(subscriber))


class ClickLinks:
    """One digest's story links through the redirect, for its renderer."""

    def __init__(self, settings: Settings, digest: DigestSettings) -> None:
        self._tokens = ClickTokens.from_settings(settings)
        self._digest = digest.name
        self._prefix = settings.web.base_url + CLICK_PATH
        self._suffix = CLICK_READER if digest.clicks_per_subscriber else ""

    def url(self, teaser: Teaser) -> str:
        return self._prefix + self._tokens.link(self._digest, teaser.id) + self._suffix

    def tracked(self, composition: Composition) -> Composition:
        """`composition` with every teaser's `url` its link through the redirect."""

        def track(teaser: Teaser) -> Teaser:
            return teaser._replace(url=self.url(teaser))

        return replace(
            composition,
            lead=track(composition.lead) if composition.lead else None,
            sections=tuple(
                replace(group, teasers=tuple(map(track, group.teasers))) for group in composition.sections
            ),
        )
