"""The console's Subscribers pages (issue #15): addresses searched by their start and paged in byte
order (an index on email COLLATE "C" on PostgreSQL, whatever the database's collation),
one subscriber's deliveries, and what operators did to one subscriber, each read over an index
instead of a scan of a million rows.

Revision ID: 0016_console_subscribers
Revises: 0014_console (on the console branch; the subscribers branch's tables come first)
"""

from alembic import op

revision = "0016_console_subscribers"
# On top of the console branch rather than beside it with a dependency: a revision another one only
# depends on stays a head of its own in the scripts but not in the database, and the schema would
# never look current to `/readyz` and `nashra check`.
down_revision = "0014_console"
branch_labels = None
depends_on = "0009_deliveries_claim_index"


def upgrade() -> None:
    op.create_index("ix_deliveries_subscriber_id_id", "deliveries", ["subscriber_id", "id"])
    op.create_index("ix_audit_log_target", "audit_log", ["target"])
    op.create_index(
        "ix_subscribers_email_bytes", "subscribers", ["email"], postgresql_ops={"email": 'COLLATE "C"'}
    )


def downgrade() -> None:
    op.drop_index("ix_subscribers_email_bytes", table_name="subscribers")
    op.drop_index("ix_audit_log_target", table_name="audit_log")
    op.drop_index("ix_deliveries_subscriber_id_id", table_name="deliveries")
