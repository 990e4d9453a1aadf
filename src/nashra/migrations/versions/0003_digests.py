"""Digest issues and the articles each one carried.

Revision ID: 0003_digests
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

from nashra.store.types import UTCDateTime

revision = "0003_digests"
down_revision = "0001_core"
branch_labels = ("digests",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_issues",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("digest", sa.String(100), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("preheader", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("archive_url", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_digest_issues"),
    )
    op.create_index("ix_digest_issues_digest_created_at", "digest_issues", ["digest", "created_at"])
    op.create_table(
        "digest_issue_articles",
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.String(40), nullable=False),
        sa.Column("digest", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title_key", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["digest_issues.id"],
            name="fk_digest_issue_articles_issue_id_digest_issues",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("issue_id", "article_id", name="pk_digest_issue_articles"),
    )
    op.create_index("ix_digest_issue_articles_digest", "digest_issue_articles", ["digest"])


def downgrade() -> None:
    op.drop_table("digest_issue_articles")
    op.drop_table("digest_issues")
