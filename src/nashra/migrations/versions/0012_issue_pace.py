"""digest_issues.paced_until: where the issue's send rate stands, shared by every worker sending
one of its batches (issue #14): each takes its next slots from this row.

Revision ID: 0012_issue_pace
Revises: 0003_digests (the digests branch)
"""

import sqlalchemy as sa
from alembic import op

from nashra.store.types import UTCDateTime

revision = "0012_issue_pace"
down_revision = "0003_digests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("digest_issues", sa.Column("paced_until", UTCDateTime()))


def downgrade() -> None:
    with op.batch_alter_table("digest_issues") as batch:  # SQLite before 3.35 cannot drop a column
        batch.drop_column("paced_until")
