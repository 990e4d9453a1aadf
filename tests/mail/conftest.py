"""Fixtures for the mail tests live in mailkit.py (a uniquely named module, importable by tests)."""

from mailkit import secret_env, smtp_server  # noqa: F401  (fixtures)
