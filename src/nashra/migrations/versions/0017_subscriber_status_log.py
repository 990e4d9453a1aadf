"""subscriber_status_log: every change of a subscriber's status after its creation, with the status
it left, its reason and time, whoever made it (issue #15: the console shows a subscriber's whole
history; the subscribers row keeps only the latest change). Existing subscribers start with none.

Revision ID: 0017_subscriber_status_log
Revises: 0011_procrastinate (the subscribers branch)
"""

import sqlalchemy as sa
from alembic import op

from nashra.store.types import UTCDateTime

revision = "0017_subscriber_status_log"
down_revision = "0011_procrastinate"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscriber_status_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "subscriber_id", sa.Integer(), sa.ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("from_status", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_subscriber_status_log_subscriber_id_id", "subscriber_status_log", ["subscriber_id", "id"]
    )


def downgrade() -> None:
    op.drop_table("subscriber_status_log")
