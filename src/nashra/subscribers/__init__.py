"""Subscribers: validated, normalised addresses with consent, on lists, imported and exported as CSV."""

from nashra.subscribers.addresses import InvalidAddress, normalise_email
from nashra.subscribers.manage import add_subscriber, remove_subscriber

__all__ = ["InvalidAddress", "add_subscriber", "normalise_email", "remove_subscriber"]
