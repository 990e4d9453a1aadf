"""`[feedback]`: what Nashra does with what comes back after a send (issue #16): bounces that a relay
or a mailbox provider reports later, spam complaints, and unsubscribes mailed to the List-Unsubscribe
address. The rules are in nashra.feedback.rules; where the reports come from is configured in the
sub-tables the receivers add (the bounce mailbox, the services' webhooks).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from nashra.config.inbound import ImapSettings, InboundSettings
from nashra.config.webhooks import WebhookSettings


class FeedbackSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    soft_bounce_issues: Annotated[int, Field(ge=1, le=50)] = 3
    """A mailbox that soft-bounced this many issues in a row (full, over quota, greylisted for
    days) is suppressed as bounced; one delivered issue between them starts the count again."""
    webhooks: WebhookSettings = WebhookSettings()
    imap: ImapSettings | None = None
    inbound: InboundSettings | None = None
