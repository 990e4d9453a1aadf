"""What a reply means for the address it answered: by its enhanced status code (RFC 3463,
class.subject.detail) and by the step of the dialogue it answered (nashra.mail.transport.Stage).

A basic code alone cannot tell a dead mailbox from a misconfigured relay: `550` is both "no such
user" and "relaying denied", and suppressing on it once wiped a whole list. So:
- only a permanent refusal at RCPT that names the recipient's mailbox suppresses the address:
  5.1.x (bad, ambiguous, moved mailbox or domain, null MX), except 5.1.7/5.1.8, which are about
  the *sender*, and 5.2.1 (mailbox disabled). A bare 550/551/553 with no enhanced code counts too;
- 5.2.2 (mailbox full) fails this issue only: a full mailbox is usually emptied (RFC 3463 files it
  under "persistent transient"), and Postfix and the big providers treat it as temporary-ish;
- a refusal at connect, EHLO, AUTH or MAIL FROM refuses the connection or the sender, and a
  permanent refusal of DATA or of the final "." refuses the message: never a recipient's fault,
  they stop the send (`RelayRefused`). Mailbox codes (5.1.x, 5.2.x) after "." fail that address;
- any other permanent refusal at RCPT (5.7.1 relaying denied, policy, …) fails the address
  without suppressing it.
And whatever the code, one reply given to a large share of recipients is the relay's doing
(`RefusalWatch`): the send stops and the addresses it refused are left queued, bounced by nobody.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from nashra.mail.transport import Outcome, Stage

_ENHANCED = re.compile(r"\s*([245])\.(\d{1,3})\.(\d{1,3})(?!\d)")
_MAILBOX_GONE = {(1, 0), (1, 1), (1, 2), (1, 3), (1, 4), (1, 6), (1, 10), (2, 1)}
_SENDER = {(1, 7), (1, 8)}
_BARE_BOUNCE = (550, 551, 553)

JUDGE_AFTER = 10
"""Permanent refusals are held (not booked) until this many messages were attempted in the run."""
SHARE = 0.5
"""One reply for at least this share of the attempted messages is the relay's doing."""
MIN_SAME = 3
"""…and for at least this many of them (a list of two, one of them gone, is not a relay problem)."""
STREAK = 25
"""This many identical refusals in a row mean the relay changed its mind mid-send."""


class Verdict(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # temporary: deferred with backoff, then failed after `retry_attempts`
    BOUNCE = "bounce"  # failed, and the address is suppressed (subscriber "bounced")
    FAIL = "fail"  # failed for this issue; the address stays active
    REFUSED = "refused"  # the relay refuses the connection, sender or message: stop the send
    UNKNOWN = "unknown"  # the final "." went out and no reply came back: the server may have it


def enhanced_code(detail: str) -> tuple[int, int, int] | None:
    """The RFC 3463 code a reply text starts with, if any (`"5.1.1 No such user"` -> (5, 1, 1))."""
    found = _ENHANCED.match(detail)
    return (int(found[1]), int(found[2]), int(found[3])) if found else None


def mailbox_gone(code: tuple[int, int, int]) -> bool:
    """Whether an enhanced status code says the recipient's mailbox does not exist (any more) or
    is disabled: the codes that suppress an address, at RCPT here and in a bounce mailed back
    later (nashra.feedback.bounces)."""
    return code[0] == 5 and code[1:] in _MAILBOX_GONE


def verdict(outcome: Outcome) -> Verdict:
    if outcome.kind == "sent":
        return Verdict.SENT
    if outcome.kind == "temporary":
        return Verdict.RETRY
    if outcome.kind == "unknown":
        return Verdict.UNKNOWN
    enhanced = enhanced_code(outcome.detail)
    subject = enhanced[1:] if enhanced else None
    if outcome.stage in (Stage.CONNECT, Stage.MAIL) or subject in _SENDER:
        return Verdict.REFUSED
    if outcome.stage is Stage.DATA:
        return Verdict.FAIL if subject is not None and subject[0] in (1, 2) else Verdict.REFUSED
    if subject in _MAILBOX_GONE or (enhanced is None and outcome.code in _BARE_BOUNCE):
        return Verdict.BOUNCE
    return Verdict.FAIL


def refusal(outcome: Outcome, sender: str) -> str:
    """One line naming what the relay refused, and its reply."""
    what = {Stage.CONNECT: "the connection", Stage.DATA: "the message"}.get(outcome.stage)
    if what is None:
        what = f"the sender {sender}"
    return f"the relay refused {what}: {outcome.describe()}"


def _key(outcome: Outcome) -> tuple[Stage, int, tuple[int, int, int] | None]:
    # Not the text: refusals of single recipients usually quote the address.
    return outcome.stage, outcome.code, enhanced_code(outcome.detail)


T = TypeVar("T")


@dataclass
class RefusalWatch(Generic[T]):
    """Holds permanent refusals (with the item each belongs to) until they can be told apart from a
    relay that refuses everybody the same way; `settle` gives back those that may be booked."""

    attempted: int = 0
    same: Counter[tuple[Stage, int, tuple[int, int, int] | None]] = field(default_factory=Counter)
    streak: int = 0
    held: list[tuple[T, Outcome]] = field(default_factory=list)
    _last: tuple[Stage, int, tuple[int, int, int] | None] | None = None
    _latest: dict[tuple[Stage, int, tuple[int, int, int] | None], Outcome] = field(default_factory=dict)

    def see(self, results: Sequence[tuple[T, Outcome]]) -> None:
        for item, outcome in results:
            self.attempted += 1
            if outcome.kind != "permanent":
                self.streak, self._last = 0, None
                continue
            key = _key(outcome)
            self.same[key] += 1
            self._latest[key] = outcome
            self.streak = self.streak + 1 if key == self._last else 1
            self._last = key
            self.held.append((item, outcome))

    def mass_refusal(self, *, final: bool = False) -> str | None:
        """The relay's refusal of many recipients, in one line, or None."""
        if not self.same:
            return None
        key, count = self.same.most_common(1)[0]
        judged = final or self.attempted >= JUDGE_AFTER
        if self.streak >= STREAK or (judged and count >= MIN_SAME and count >= SHARE * self.attempted):
            return (
                f"the relay refused {count} of {self.attempted} recipients the same way: "
                f"{self._latest[key].describe()}"
            )
        return None

    def settle(self, *, final: bool = False) -> list[tuple[T, Outcome]]:
        """The held refusals that are the recipients' own, once judged (call `mass_refusal` first)."""
        if not final and (self.attempted < JUDGE_AFTER or self.streak):
            return []
        settled, self.held = self.held, []
        return settled
