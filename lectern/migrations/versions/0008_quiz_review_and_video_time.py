"""ui: the quiz review's 'whether correct' and 'general feedback' options; video lessons' played parts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 03:55:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

REVIEW_WHEN = sa.Enum("never", "after_attempt", "after_close", name="reviewwhen", native_enum=False, length=20)


def upgrade():
    with op.batch_alter_table("quiz", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_correctness", REVIEW_WHEN, server_default="after_attempt", nullable=False))
        batch_op.add_column(
            sa.Column("review_general_feedback", REVIEW_WHEN, server_default="after_attempt", nullable=False)
        )
    # Until now the review showed whether an answer was correct with its marks, and the general feedback with the
    # specific one: existing quizzes keep showing them as they did.
    op.execute("UPDATE quiz SET review_correctness = review_marks, review_general_feedback = review_feedback")
    with op.batch_alter_table("stored_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duration_seconds", sa.Float(), nullable=True))
    op.create_table(
        "lesson_viewing",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("played", sa.JSON(), nullable=False),
        sa.Column("credited_seconds", sa.Float(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["course_lesson.id"],
            name=op.f("fk_lesson_viewing_lesson_id_course_lesson"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_lesson_viewing_user_id_user_account")),
        sa.PrimaryKeyConstraint("user_id", "lesson_id", name=op.f("pk_lesson_viewing")),
    )


def downgrade():
    op.drop_table("lesson_viewing")
    with op.batch_alter_table("stored_file", schema=None) as batch_op:
        batch_op.drop_column("duration_seconds")
    with op.batch_alter_table("quiz", schema=None) as batch_op:
        batch_op.drop_column("review_general_feedback")
        batch_op.drop_column("review_correctness")
