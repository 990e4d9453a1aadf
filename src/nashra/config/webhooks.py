"""`[feedback.webhooks.<service>]`: the email services whose event webhooks Nashra takes bounces,
complaints and unsubscribes from (nashra.feedback.services, served at /webhooks/<service>).

Each is off until `enabled = true`; its secret is read from the environment variable named here
when the web app starts, so a missing one stops `nashra serve` instead of refusing every event.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Topic ARNs as AWS writes them: partition (aws, aws-cn, aws-us-gov), region, account, name.
_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?")
MaxAge = Annotated[float, Field(gt=0, le=24 * 60)]


class _Service(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False


class MailgunWebhook(_Service):
    signing_key_env: str = "NASHRA_MAILGUN_SIGNING_KEY"
    """Holds the "HTTP webhook signing key" of the Mailgun account (Sending → Webhooks)."""
    max_age_minutes: MaxAge = 15
    """A signature older than this is refused: a copied request stops working after it."""


class PostmarkWebhook(_Service):
    username: str = "nashra"
    """The user name in the webhook URL Postmark posts to (https://USER:PASSWORD@…)."""
    password_env: str = "NASHRA_POSTMARK_WEBHOOK_PASSWORD"


class SendGridWebhook(_Service):
    public_key_env: str = "NASHRA_SENDGRID_WEBHOOK_KEY"
    """Holds the verification key SendGrid shows once "Signed Event Webhook" is on (base64)."""
    max_age_minutes: MaxAge = 15


class SesWebhook(_Service):
    """Amazon SES publishes its notifications to SNS topics; SNS posts them here."""

    topic_arns: list[str] = []
    """The topics whose messages are taken (and whose subscription is confirmed); any other
    topic is refused, however well signed: anyone can create a topic and sign with it."""
    cert_host_pattern: str = r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$"
    """Hosts the signing certificate (and a subscription's confirmation link) may come from; over
    https only, checked before anything is fetched."""
    max_age_minutes: MaxAge = 15
    """An SNS message older than this (its own signed Timestamp) is refused. SNS retries carry the
    first attempt's time: raise this if the topic's delivery policy retries for longer."""

    @field_validator("topic_arns")
    @classmethod
    def _arns(cls, value: list[str]) -> list[str]:
        bad = [arn for arn in value if not _TOPIC_ARN.fullmatch(arn)]
        if bad:
            raise ValueError(
                f"not an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:ses: {bad[0]!r}"
            )
        return value

    @field_validator("cert_host_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _topics_when_enabled(self) -> SesWebhook:
        if self.enabled and not self.topic_arns:
            raise ValueError("topic_arns: name the SNS topics SES publishes to (none are taken otherwise)")
        return self

    def allows_host(self, host: str) -> bool:
        return re.fullmatch(self.cert_host_pattern, host) is not None


class WebhookSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mailgun: MailgunWebhook = MailgunWebhook()
    postmark: PostmarkWebhook = PostmarkWebhook()
    sendgrid: SendGridWebhook = SendGridWebhook()
    ses: SesWebhook = SesWebhook()
