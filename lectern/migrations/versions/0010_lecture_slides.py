"""lecture slides: the deck and page shown now, and the decks uploaded in a lecture room

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-14 10:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("lecture", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slides_file_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("slides_page", sa.Integer(), server_default="1", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_lecture_slides_file_id_stored_file"), "stored_file", ["slides_file_id"], ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "lecture_deck",
        sa.Column("lecture_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lecture_id"], ["lecture.id"], name=op.f("fk_lecture_deck_lecture_id_lecture"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_file.id"], name=op.f("fk_lecture_deck_file_id_stored_file"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["user_account.id"], name=op.f("fk_lecture_deck_added_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("lecture_id", "file_id", name=op.f("pk_lecture_deck")),
    )


def downgrade():
    op.drop_table("lecture_deck")
    with op.batch_alter_table("lecture", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_lecture_slides_file_id_stored_file"), type_="foreignkey")
        batch_op.drop_column("slides_page")
        batch_op.drop_column("slides_file_id")
