"""deliveries (issue_id, status, id): each claim is an in-order range of this index, so its cost does
not grow with the number of rows still queued (issue #13).

Revision ID: 0009_deliveries_claim_index
Revises: 0008_workers_and_pauses
"""

from alembic import op

revision = "0009_deliveries_claim_index"
down_revision = "0008_workers_and_pauses"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deliveries_issue_id_status_id", "deliveries", ["issue_id", "status", "id"])
    op.drop_index("ix_deliveries_issue_id_status", table_name="deliveries")


def downgrade() -> None:
    op.create_index("ix_deliveries_issue_id_status", "deliveries", ["issue_id", "status"])
    op.drop_index("ix_deliveries_issue_id_status_id", table_name="deliveries")
