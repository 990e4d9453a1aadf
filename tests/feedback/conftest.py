"""The mail tests' real SMTP server on loopback and their signing key, and the webhooks' live site,
for the feedback tests."""

from feedback.webhookkit import make_site  # noqa: F401  (fixture)
from mail.mailkit import secret_env, smtp_server  # noqa: F401  (fixtures)
