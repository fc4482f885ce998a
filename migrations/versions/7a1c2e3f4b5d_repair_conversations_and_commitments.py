"""repair conversations and commitments

Revision ID: 7a1c2e3f4b5d
Revises: 5d7f9b1c3e4a
Create Date: 2026-12-02 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '7a1c2e3f4b5d'
down_revision = '5d7f9b1c3e4a'
branch_labels = None
depends_on = None

KINDS_BEFORE = "'new_prompt', 'partner_answered', 'reveal', 'reflection', 'addition', 'reminder'"
KINDS_AFTER = "'new_prompt', 'partner_answered', 'reveal', 'reflection', 'addition', 'reminder', 'repair', 'commitment'"
LOG_BEFORE = "'progress', 'conversations', 'conversation', 'checkins', 'export'"
LOG_AFTER = "'progress', 'conversations', 'conversation', 'checkins', 'export', 'repair'"


def upgrade():
    op.create_table('repair_conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('couple_id', sa.Integer(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('speaker_id', sa.Integer(), nullable=True),
    sa.Column('listener_id', sa.Integer(), nullable=True),
    sa.Column('topic', sa.String(length=120), nullable=True),
    sa.Column('commitment_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('not_yet_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('not_yet_when', sa.String(length=16), nullable=True),
    sa.Column('speaker_break_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('listener_break_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reached_end', sa.Boolean(), nullable=False),
    sa.CheckConstraint("state IN ('asked', 'open', 'ended')", name='ck_repair_conversations_state'),
    sa.CheckConstraint('step BETWEEN 1 AND 6', name='ck_repair_conversations_step'),
    sa.CheckConstraint('speaker_id <> listener_id', name='ck_repair_conversations_two_people'),
    sa.CheckConstraint('topic IS NULL OR length(topic) BETWEEN 1 AND 120', name='ck_repair_conversations_topic'),
    sa.CheckConstraint("(state = 'ended') = (ended_at IS NOT NULL)", name='ck_repair_conversations_ended'),
    sa.ForeignKeyConstraint(['couple_id'], ['couples.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['asked_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['speaker_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['listener_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('repair_conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repair_conversations_couple_id'), ['couple_id'], unique=False)
        batch_op.create_index('uq_repair_conversations_live', ['couple_id'], unique=True,
                              sqlite_where=sa.text("state <> 'ended'"), postgresql_where=sa.text("state <> 'ended'"))

    op.create_table('repair_turns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('choice', sa.String(length=16), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('step BETWEEN 1 AND 6', name='ck_repair_turns_step'),
    sa.CheckConstraint('body IS NULL OR length(body) BETWEEN 1 AND 5000', name='ck_repair_turns_body'),
    sa.CheckConstraint(
        "choice IS NULL OR choice IN ('heard', 'partly', 'reassurance', 'change', 'time', 'nothing',"
        " 'words', 'commitment')",
        name='ck_repair_turns_choice'),
    sa.CheckConstraint('step = 1 OR sent_at IS NOT NULL', name='ck_repair_turns_draft'),
    sa.ForeignKeyConstraint(['conversation_id'], ['repair_conversations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('conversation_id', 'step', 'round', name='uq_repair_turns_step_round')
    )
    with op.batch_alter_table('repair_turns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repair_turns_author_id'), ['author_id'], unique=False)

    op.create_table('commitments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('couple_id', sa.Integer(), nullable=False),
    sa.Column('maker_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('length(text) BETWEEN 1 AND 300', name='ck_commitments_text'),
    sa.ForeignKeyConstraint(['couple_id'], ['couples.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['maker_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['conversation_id'], ['repair_conversations.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitments_couple_id'), ['couple_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commitments_maker_id'), ['maker_id'], unique=False)

    op.create_table('commitment_moments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commitment_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('did', 'noticed')", name='ck_commitment_moments_kind'),
    sa.CheckConstraint('note IS NULL OR length(note) BETWEEN 1 AND 300', name='ck_commitment_moments_note'),
    sa.ForeignKeyConstraint(['commitment_id'], ['commitments.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('commitment_moments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitment_moments_commitment_id'), ['commitment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commitment_moments_author_id'), ['author_id'], unique=False)

    # The two tables refer to each other; the conversation's side is added once both exist.
    with op.batch_alter_table('repair_conversations', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_repair_conversations_commitment', 'commitments', ['commitment_id'], ['id'],
                                    ondelete='SET NULL')

    with op.batch_alter_table('push_messages', schema=None) as batch_op:
        batch_op.drop_constraint('ck_push_messages_kind', type_='check')
        batch_op.create_check_constraint('ck_push_messages_kind', f"kind IN ({KINDS_AFTER})")
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_constraint('ck_access_log_kind', type_='check')
        batch_op.create_check_constraint('ck_access_log_kind', f"kind IN ({LOG_AFTER})")


def downgrade():
    op.execute("DELETE FROM access_log WHERE kind = 'repair'")
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_constraint('ck_access_log_kind', type_='check')
        batch_op.create_check_constraint('ck_access_log_kind', f"kind IN ({LOG_BEFORE})")
    op.execute("DELETE FROM push_messages WHERE kind IN ('repair', 'commitment')")
    with op.batch_alter_table('push_messages', schema=None) as batch_op:
        batch_op.drop_constraint('ck_push_messages_kind', type_='check')
        batch_op.create_check_constraint('ck_push_messages_kind', f"kind IN ({KINDS_BEFORE})")
    with op.batch_alter_table('repair_conversations', schema=None) as batch_op:
        batch_op.drop_constraint('fk_repair_conversations_commitment', type_='foreignkey')
    with op.batch_alter_table('commitment_moments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitment_moments_author_id'))
        batch_op.drop_index(batch_op.f('ix_commitment_moments_commitment_id'))
    op.drop_table('commitment_moments')
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitments_maker_id'))
        batch_op.drop_index(batch_op.f('ix_commitments_couple_id'))
    op.drop_table('commitments')
    with op.batch_alter_table('repair_turns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repair_turns_author_id'))
    op.drop_table('repair_turns')
    with op.batch_alter_table('repair_conversations', schema=None) as batch_op:
        batch_op.drop_index('uq_repair_conversations_live')
        batch_op.drop_index(batch_op.f('ix_repair_conversations_couple_id'))
    op.drop_table('repair_conversations')
