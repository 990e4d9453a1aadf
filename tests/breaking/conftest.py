"""The mail tests' real SMTP server on loopback and their signing key, for the breaking-news tests."""

from mail.mailkit import secret_env, smtp_server  # noqa: F401  (fixtures)
