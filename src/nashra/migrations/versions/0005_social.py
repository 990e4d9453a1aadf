"""Social posts: one record per (article, channel).

Revision ID: 0005_social
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

from nashra.store.types import UTCDateTime

revision = "0005_social"
down_revision = "0001_core"
branch_labels = ("social",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "social_posts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("channel_type", sa.String(50), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("article_version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.Text()),
        sa.Column("remote_url", sa.Text()),
        sa.Column("last_error", sa.Text()),
        sa.Column("error_kind", sa.String(20)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("posted_at", UTCDateTime()),
        sa.Column("next_attempt_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_social_posts"),
        sa.UniqueConstraint("article_id", "channel", name="uq_social_posts_article_id_channel"),
    )
    op.create_index("ix_social_posts_channel_status", "social_posts", ["channel", "status"])


def downgrade() -> None:
    op.drop_table("social_posts")
