"""subscribers.confirm_sent_at: when the last confirmation mail went to the address, so the subscribe
form sends at most one per window whatever the number of requests or web processes (issue #11).

Revision ID: 0007_confirm_sent_at
Revises: 0006_status_changed_at
"""

import sqlalchemy as sa
from alembic import op

from nashra.store.types import UTCDateTime

revision = "0007_confirm_sent_at"
down_revision = "0006_status_changed_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("subscribers", sa.Column("confirm_sent_at", UTCDateTime()))


def downgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:  # SQLite before 3.35 cannot drop a column
        batch.drop_column("confirm_sent_at")
