"""Click counts (issue #16): digest_clicks (per issue and article, nobody's data) and
digest_subscriber_clicks (who followed which story: personal data, only when the operator turns it
on, erased with the subscriber); and an index on digest_issue_articles.article_id, by which the
click redirect finds the issue that carried an article.

Revision ID: 0018_clicks
Revises: 0001_core (a branch of its own; its tables refer to digest_issues, 0003_digests, and to
subscribers, 0004_subscribers)
"""

import sqlalchemy as sa
from alembic import op

from nashra.store.types import UTCDateTime

revision = "0018_clicks"
down_revision = "0001_core"
branch_labels = ("clicks",)
depends_on = ("0003_digests", "0004_subscribers")


def upgrade() -> None:
    op.create_table(
        "digest_clicks",
        sa.Column(
            "issue_id", sa.Integer(), sa.ForeignKey("digest_issues.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("article_id", sa.String(40), primary_key=True),
        sa.Column("clicks", sa.Integer(), nullable=False),
    )
    op.create_table(
        "digest_subscriber_clicks",
        sa.Column(
            "issue_id", sa.Integer(), sa.ForeignKey("digest_issues.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("article_id", sa.String(40), primary_key=True),
        sa.Column(
            "subscriber_id",
            sa.Integer(),
            sa.ForeignKey("subscribers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("clicked_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_digest_subscriber_clicks_subscriber_id", "digest_subscriber_clicks", ["subscriber_id"]
    )
    op.create_index("ix_digest_issue_articles_article_id", "digest_issue_articles", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_digest_issue_articles_article_id", "digest_issue_articles")
    op.drop_table("digest_subscriber_clicks")
    op.drop_table("digest_clicks")
