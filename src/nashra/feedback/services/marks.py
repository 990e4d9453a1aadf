"""What Nashra wrote on a digest message, read back from a service's event about it: the issue and
the subscriber it went to.

Two marks: the Message-ID, `<issue>.<subscriber>.<nonce>@<sender domain>` (nashra.mail.send), and,
with `mail.verp`, the envelope sender, signed (nashra.mail.verp). A service reports the headers of
a message Nashra handed it, so in an authenticated event both are Nashra's own words; they name the
issue, which the address alone cannot, and the subscriber even after an address changed. The signed
envelope sender wins when both are there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nashra.config import Settings
from nashra.mail.verp import Verp
from nashra.signing_key import load_secret

_MESSAGE_ID = re.compile(r"<?(\d{1,12})\.(\d{1,12})\.[0-9a-f]{12}@([^<>\s]+)>?")


@dataclass(frozen=True, slots=True)
class Mark:
    subscriber_id: int | None = None
    issue_id: int | None = None


class Marks:
    def __init__(self, sender_domain: str, verp: Verp | None) -> None:
        self._domain = sender_domain.lower()
        self._verp = verp

    @classmethod
    def from_settings(cls, settings: Settings) -> Marks:
        mail = settings.mail
        verp = Verp(load_secret(settings), mail.envelope_from) if mail.verp else None
        return cls(mail.sender_domain, verp)

    def read(self, *, message_id: str = "", envelope_sender: str = "") -> Mark:
        """Nashra's marks on the message an event is about; an empty Mark when it carries none
        (another sender's message, or a service that reports neither)."""
        if self._verp is not None and envelope_sender:
            target = self._verp.read(envelope_sender)
            if target is not None:
                return Mark(target.subscriber_id, target.issue_id)
        found = _MESSAGE_ID.fullmatch(message_id.strip())
        if found is not None and found[3].lower() == self._domain:
            return Mark(int(found[2]), int(found[1]))
        return Mark()
