"""workers, job_runs: the worker's heartbeat and each job's last and next run, for `nashra status`
in another process; pauses: digests and channels an operator paused without editing the config
(issue #12).

Revision ID: 0008_workers_and_pauses
Revises: 0007_confirm_sent_at
"""

import sqlalchemy as sa
from alembic import op

from nashra.store.types import UTCDateTime

revision = "0008_workers_and_pauses"
down_revision = "0007_confirm_sent_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=False),
        sa.Column("stopped_at", UTCDateTime()),
    )
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(200), primary_key=True),
        sa.Column("worker", sa.String(200)),
        sa.Column("started_at", UTCDateTime()),
        sa.Column("finished_at", UTCDateTime()),
        sa.Column("result", sa.String(20)),
        sa.Column("summary", sa.Text()),
        sa.Column("next_run_at", UTCDateTime()),
    )
    op.create_table(
        "pauses",
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("paused_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pauses")
    op.drop_table("job_runs")
    op.drop_table("workers")
