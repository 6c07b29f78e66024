"""files embedded in imported questions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 04:20:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "quiz_question_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_quiz_question_media_course_id_course"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_file.id"], name=op.f("fk_quiz_question_media_file_id_stored_file")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_question_media")),
        sa.UniqueConstraint("course_id", "file_id", name=op.f("uq_quiz_question_media_course_id")),
    )
    with op.batch_alter_table("quiz_question_media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quiz_question_media_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quiz_question_media_file_id"), ["file_id"], unique=False)


def downgrade():
    with op.batch_alter_table("quiz_question_media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quiz_question_media_file_id"))
        batch_op.drop_index(batch_op.f("ix_quiz_question_media_course_id"))
    op.drop_table("quiz_question_media")
