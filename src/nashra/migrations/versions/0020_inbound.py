"""inbound_messages: mail from the bounce mailbox or the inbound endpoint that acted on nobody
(unreadable, unrecognised, or naming no subscriber through anything Nashra signed), kept for the
operator (issue #16).

Revision ID: 0020_inbound
Revises: 0001_core (a branch of its own)
"""

import sqlalchemy as sa
from alembic import op

from nashra.store.types import UTCDateTime

revision = "0020_inbound"
down_revision = "0001_core"
branch_labels = ("inbound",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("key", name="uq_inbound_messages_key"),
    )
    op.create_index("ix_inbound_messages_received_at", "inbound_messages", ["received_at"])


def downgrade() -> None:
    op.drop_table("inbound_messages")
