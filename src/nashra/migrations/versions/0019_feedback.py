"""feedback_reports: bounces, complaints and unsubscribes that arrive after a send, by mail or by a
service's webhook, each stored once with what Nashra did about it (issue #16).

Revision ID: 0019_feedback
Revises: 0001_core (a branch of its own; subscribers come from 0004_subscribers)
"""

import sqlalchemy as sa
from alembic import op

from nashra.store.types import UTCDateTime

revision = "0019_feedback"
down_revision = "0001_core"
branch_labels = ("feedback",)
depends_on = "0004_subscribers"


def upgrade() -> None:
    op.create_table(
        "feedback_reports",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), sa.ForeignKey("subscribers.id", ondelete="CASCADE")),
        sa.Column("issue_id", sa.Integer()),
        sa.Column("email", sa.String(320)),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("key", name="uq_feedback_reports_key"),
    )
    op.create_index(
        "ix_feedback_reports_subscriber_id_kind_issue_id",
        "feedback_reports",
        ["subscriber_id", "kind", "issue_id"],
    )
    op.create_index("ix_feedback_reports_issue_id_kind", "feedback_reports", ["issue_id", "kind"])


def downgrade() -> None:
    op.drop_table("feedback_reports")
