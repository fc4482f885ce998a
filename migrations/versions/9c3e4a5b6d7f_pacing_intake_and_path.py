"""pacing: the private intake, the depth ramp, the path, pauses per person, set-aside answers kept

Revision ID: 9c3e4a5b6d7f
Revises: 8b2d3f4a5c6e
Create Date: 2026-12-02 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c3e4a5b6d7f'
down_revision = '8b2d3f4a5c6e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_check_constraint('ck_themes_stage', 'stage BETWEEN 1 AND 3')

    # Each person's pause is their own; the couple's paused_at/paused_until span every pause that lasts.
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paused_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            'ix_memberships_pause_ends',
            ['paused_until'],
            unique=False,
            sqlite_where=sa.text('paused_at IS NOT NULL'),
            postgresql_where=sa.text('paused_at IS NOT NULL'),
        )
    op.execute(
        "UPDATE memberships SET paused_at = (SELECT c.paused_at FROM couples c WHERE c.id = memberships.couple_id), "
        "paused_until = (SELECT c.paused_until FROM couples c WHERE c.id = memberships.couple_id) "
        "WHERE left_at IS NULL AND user_id = (SELECT c.paused_by_id FROM couples c WHERE c.id = memberships.couple_id)"
    )

    with op.batch_alter_table('couples', schema=None) as batch_op:
        batch_op.drop_constraint('fk_couples_paused_by_id_users', type_='foreignkey')
        batch_op.drop_column('paused_by_id')
        # The depth ramp: where the couple is now, and what it has shown since it got there.
        batch_op.add_column(sa.Column('depth_level', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('depth_revealed', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('depth_heard', sa.Integer(), server_default='0', nullable=False))
        # The path: revealed conversations in all, and a stage their therapist may set as the focus.
        batch_op.add_column(sa.Column('conversations', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('focus_stage', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('ck_couples_depth_level', 'depth_level BETWEEN 1 AND 3')
        batch_op.create_check_constraint('ck_couples_focus_stage', 'focus_stage IS NULL OR focus_stage BETWEEN 1 AND 3')

    with op.batch_alter_table('prompt_instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('set_aside_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('carried_to_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_prompt_instances_set_aside_by_id_users', 'users', ['set_aside_by_id'], ['id'], ondelete='SET NULL'
        )
        batch_op.create_foreign_key(
            'fk_prompt_instances_carried_to_id_prompt_instances',
            'prompt_instances',
            ['carried_to_id'],
            ['id'],
            ondelete='SET NULL',
        )
        batch_op.create_index(
            'ix_prompt_instances_kept',
            ['couple_id', 'prompt_id'],
            unique=False,
            sqlite_where=sa.text('set_aside_at IS NOT NULL AND carried_to_id IS NULL'),
            postgresql_where=sa.text('set_aside_at IS NOT NULL AND carried_to_id IS NULL'),
        )

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('theme_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('depth', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_assignments_theme_id_themes', 'themes', ['theme_id'], ['id'])
        batch_op.create_check_constraint('ck_assignments_depth', 'depth IS NULL OR depth BETWEEN 1 AND 3')

    op.create_table(
        'intakes',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('reasons', sa.JSON(), nullable=False),
        sa.Column('sees_therapist', sa.String(length=8), nullable=True),
        sa.Column('feels_safe', sa.String(length=8), nullable=True),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("sees_therapist IS NULL OR sees_therapist IN ('yes', 'no')", name='ck_intakes_sees_therapist'),
        sa.CheckConstraint("feels_safe IS NULL OR feels_safe IN ('yes', 'no', 'unsure')", name='ck_intakes_feels_safe'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )


def downgrade():
    op.drop_table('intakes')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_constraint('ck_assignments_depth', type_='check')
        batch_op.drop_constraint('fk_assignments_theme_id_themes', type_='foreignkey')
        batch_op.drop_column('depth')
        batch_op.drop_column('theme_id')
    with op.batch_alter_table('prompt_instances', schema=None) as batch_op:
        batch_op.drop_index('ix_prompt_instances_kept')
        batch_op.drop_constraint('fk_prompt_instances_carried_to_id_prompt_instances', type_='foreignkey')
        batch_op.drop_constraint('fk_prompt_instances_set_aside_by_id_users', type_='foreignkey')
        batch_op.drop_column('carried_to_id')
        batch_op.drop_column('set_aside_by_id')
    with op.batch_alter_table('couples', schema=None) as batch_op:
        batch_op.drop_constraint('ck_couples_focus_stage', type_='check')
        batch_op.drop_constraint('ck_couples_depth_level', type_='check')
        for column in ('focus_stage', 'conversations', 'depth_heard', 'depth_revealed', 'depth_level'):
            batch_op.drop_column(column)
        batch_op.add_column(sa.Column('paused_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_couples_paused_by_id_users', 'users', ['paused_by_id'], ['id'], ondelete='SET NULL'
        )
    op.execute(
        "UPDATE couples SET paused_by_id = (SELECT min(m.user_id) FROM memberships m "
        "WHERE m.couple_id = couples.id AND m.left_at IS NULL AND m.paused_at IS NOT NULL)"
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index('ix_memberships_pause_ends')
        batch_op.drop_column('paused_until')
        batch_op.drop_column('paused_at')
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.drop_constraint('ck_themes_stage', type_='check')
        batch_op.drop_column('stage')
