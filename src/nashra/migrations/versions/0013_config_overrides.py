"""config_overrides and config_override_log: values an operator changed from the console or the CLI
over nashra.toml's (a digest's schedule, window and size, a channel's spacing and quiet hours),
and every change and reversal, with who made it and when (issue #15).

Revision ID: 0013_config_overrides
Revises: 0001_core (a branch of its own)
"""

import sqlalchemy as sa
from alembic import op

from nashra.store.types import UTCDateTime

revision = "0013_config_overrides"
down_revision = "0001_core"
branch_labels = ("overrides",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "config_overrides",
        sa.Column("path", sa.String(300), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("set_by", sa.String(320), nullable=False),
        sa.Column("set_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "config_override_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("value", sa.JSON()),
        sa.Column("changed_by", sa.String(320), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("config_override_log")
    op.drop_table("config_overrides")
