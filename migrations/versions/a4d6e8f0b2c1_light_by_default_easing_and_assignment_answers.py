"""pacing: Light by default, a person's private easing after a hard moment, answers to a deeper assignment

Revision ID: a4d6e8f0b2c1
Revises: 9c3e4a5b6d7f
Create Date: 2026-12-02 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4d6e8f0b2c1'
down_revision = '9c3e4a5b6d7f'
branch_labels = None
depends_on = None


def upgrade():
    # The ceiling defaults to Light for everyone who has not chosen (existing choices are left as they are).
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('max_depth', existing_type=sa.Integer(), existing_nullable=False, server_default='1')
        batch_op.add_column(sa.Column('ease_from', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ease_until', sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        'assignment_answers',
        sa.Column('assignment_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('ready', sa.Boolean(), nullable=False),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('assignment_id', 'user_id'),
    )


def downgrade():
    op.drop_table('assignment_answers')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('ease_until')
        batch_op.drop_column('ease_from')
        batch_op.alter_column('max_depth', existing_type=sa.Integer(), existing_nullable=False, server_default=None)
