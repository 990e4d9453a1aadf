"""job_runs.last_success_at: when each job last ended well, kept through the failures after it, so
`nashra_job_last_success_timestamp_seconds` can say "no success for an hour" (issue #15).

Revision ID: 0015_metrics
Revises: 0001_core (a branch of its own; job_runs comes from 0008_workers_and_pauses)
"""

import sqlalchemy as sa
from alembic import op

from nashra.store.types import UTCDateTime

revision = "0015_metrics"
down_revision = "0001_core"
branch_labels = ("metrics",)
depends_on = "0008_workers_and_pauses"


def upgrade() -> None:
    op.add_column("job_runs", sa.Column("last_success_at", UTCDateTime()))
    # A job whose last run ended well has its success already: its finish.
    op.execute("UPDATE job_runs SET last_success_at = finished_at WHERE result = 'ok'")


def downgrade() -> None:
    with op.batch_alter_table("job_runs") as batch:  # SQLite before 3.35 cannot drop a column
        batch.drop_column("last_success_at")
