"""Every table of every feature on one `metadata`, for Alembic and for the schema-drift test.

A feature that adds a store module adds its import here; that is the only place that knows them all.
"""

from nashra.store import (
    audit,  # noqa: F401  (registers audit_log)
    clicks,  # noqa: F401  (registers digest_clicks, digest_subscriber_clicks)
    deliveries,  # noqa: F401  (registers deliveries)
    digests,  # noqa: F401  (registers digest_issues, digest_issue_articles)
    feedback,  # noqa: F401  (registers feedback_reports)
    inbound,  # noqa: F401  (registers inbound_messages)
    overrides,  # noqa: F401  (registers config_overrides, config_override_log)
    pauses,  # noqa: F401  (registers pauses)
    posts,  # noqa: F401  (registers social_posts)
    sessions,  # noqa: F401  (registers console_sessions)
    subscribers,  # noqa: F401  (registers lists, subscribers, subscriptions)
    users,  # noqa: F401  (registers console_users)
    workers,  # noqa: F401  (registers workers, job_runs)
)
from nashra.store.schema import metadata

__all__ = ["metadata"]
