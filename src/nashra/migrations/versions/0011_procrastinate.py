"""procrastinate's schema (tables procrastinate_*, its functions and triggers) for
`[queue] backend = "procrastinate"`, on PostgreSQL only (issue #14); see nashra.store.queue_schema
for why it is applied here and how later procrastinate schema changes are applied.

Revision ID: 0011_procrastinate
Revises: 0010_article_forms
"""

from alembic import op

from nashra.store.queue_schema import apply_schema

revision = "0011_procrastinate"
down_revision = "0010_article_forms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_schema(op.get_bind())


def downgrade() -> None:
    """Everything named procrastinate_* goes: its tables (with their triggers), functions and types."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, "
        "procrastinate_jobs, procrastinate_workers CASCADE"
    )
    op.execute(
        r"""DO $$ DECLARE f regprocedure; BEGIN
        FOR f IN SELECT oid::regprocedure FROM pg_proc
                  WHERE proname LIKE 'procrastinate\_%' AND pronamespace = current_schema()::regnamespace
        LOOP EXECUTE 'DROP FUNCTION ' || f || ' CASCADE'; END LOOP; END $$"""
    )
    op.execute(
        "DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type, "
        "procrastinate_job_status CASCADE"
    )
