"""import jobs: typed status (queued rather than pending) and the process that runs each

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 10:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("course_import_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("runner", sa.String(length=300), nullable=True))
    # Jobs left unfinished by the version before this one have no runner: the next start marks them failed.
    op.execute("UPDATE course_import_job SET status = 'queued' WHERE status = 'pending'")


def downgrade():
    op.execute("UPDATE course_import_job SET status = 'pending' WHERE status = 'queued'")
    with op.batch_alter_table("course_import_job", schema=None) as batch_op:
        batch_op.drop_column("runner")
