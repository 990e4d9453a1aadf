"""articles.forms: each article's prepared forms (cleaned, keyed, cut and isolated texts), stored
at ingest under the article's content hash so renders read them instead of working them out again
(issue #13). Existing rows start without: their forms are computed on first use, and stored the
next time ingest sees the article.

Revision ID: 0010_article_forms
Revises: 0009_deliveries_claim_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_article_forms"
down_revision = "0009_deliveries_claim_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("forms", sa.JSON()))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:  # SQLite before 3.35 cannot drop a column
        batch.drop_column("forms")
