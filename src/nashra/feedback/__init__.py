"""What comes back after a digest went out (issue #16): bounces, spam complaints and unsubscribes
mailed to the List-Unsubscribe address. Receivers (the bounce mailbox, the services' webhooks) turn
what they get into `Report`s; `rules.apply` decides what each one does to its subscriber.
"""

from nashra.feedback.report import Report
from nashra.store.feedback import Kind, Outcome

__all__ = ["Kind", "Outcome", "Report"]
