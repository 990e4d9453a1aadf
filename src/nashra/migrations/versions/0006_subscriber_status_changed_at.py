"""subscribers.status_changed_at: when the status last changed, so an old confirmation link cannot
undo a later unsubscribe (issue #11). Existing rows take their `updated_at`, the latest time their
status can have changed.

Revision ID: 0006_status_changed_at
Revises: 0004_subscribers
"""

import sqlalchemy as sa
from alembic import op

from nashra.store.types import UTCDateTime

revision = "0006_status_changed_at"
down_revision = "0004_subscribers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("subscribers", sa.Column("status_changed_at", UTCDateTime()))
    op.execute("UPDATE subscribers SET status_changed_at = updated_at")


def downgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:  # SQLite before 3.35 cannot drop a column
        batch.drop_column("status_changed_at")
