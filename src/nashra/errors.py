"""Errors an operator can act on.

Each carries a *where* (a file, a key, a source name, an address) so the CLI can print one line that
says what went wrong and where, without a traceback. Anything else escaping to the CLI is a bug.
"""

from __future__ import annotations


class NashraError(Exception):
    """Base of every error that is the operator's to fix, not the program's."""

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text} ({self.hint})" if self.hint else text


class ConfigError(NashraError):
    """The configuration file (or an environment variable it names) is wrong.

    `problems` holds one line per problem so that every mistake in a file is reported at once.
    """

    def __init__(self, problems: list[str], *, where: str | None = None) -> None:
        super().__init__("; ".join(problems), where=where)
        self.problems = problems

    def __str__(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        return "\n".join(prefix + p for p in self.problems)


class SourceError(NashraError):
    """A source could not be read this round; it is retried on the next one."""


class TemplateError(NashraError):
    """An operator's template failed to load or render; `where` names the template and line."""


class DeliveryError(NashraError):
    """A message or post could not be delivered."""


class Unverified(NashraError):
    """`nashra check` could not confirm that an external part works: the message says what was
    tried and what answered (see `nashra.plugins.Verifiable`)."""


class RelayRefused(DeliveryError):
    """The relay refuses the connection, the sender, the message, or one reply to a large share of
    recipients: a configuration problem, not the subscribers'. The send stops and nobody is bounced."""


class SenderFenced(DeliveryError):
    """This process lost its digest's sender lock mid-send (its database session ended) and another
    sender may have taken over: it stops before its next "." rather than risk a second copy."""


class CardError(NashraError):
    """A share card cannot be drawn as it should be: this machine's Pillow cannot shape text, the
    configured font cannot be read, or an adapter asked for a size `[cards.sizes]` does not name."""


class MailboxError(NashraError):
    """The bounce mailbox could not be read (or a message in it marked read) this round; what was
    not marked is read again on the next one."""
