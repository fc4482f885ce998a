"""the private journal, hard moments and reassurance requests, a safer weekly check-in

Revision ID: 8b2d3f4a5c6e
Revises: 7a1c2e3f4b5d
Create Date: 2026-12-02 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8b2d3f4a5c6e'
down_revision = '7a1c2e3f4b5d'
branch_labels = None
depends_on = None

KINDS_BEFORE = "'new_prompt', 'partner_answered', 'reveal', 'reflection', 'addition', 'reminder', 'repair', 'commitment'"
KINDS_AFTER = KINDS_BEFORE + ", 'reassurance', 'reassurance_reply'"
ACCESS_BEFORE = "'progress', 'conversations', 'conversation', 'checkins', 'export', 'repair'"
ACCESS_AFTER = ACCESS_BEFORE + ", 'journal'"
CSI = (
    "(csi_happiness IS NULL AND csi_warm IS NULL AND csi_rewarding IS NULL AND csi_satisfied IS NULL)"
    " OR (csi_happiness BETWEEN 0 AND 6 AND csi_warm BETWEEN 0 AND 5"
    " AND csi_rewarding BETWEEN 0 AND 5 AND csi_satisfied BETWEEN 0 AND 5)"
)


def upgrade():
    op.create_table('journal_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('tag', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shared_couple_id', sa.Integer(), nullable=True),
    sa.Column('shared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('therapist_link_id', sa.Integer(), nullable=True),
    sa.Column('therapist_shared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reflection', sa.Text(), nullable=True),
    sa.Column('reflected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('response', sa.String(length=8), nullable=True),
    sa.Column('addition', sa.Text(), nullable=True),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("tag IS NULL OR tag IN ('trigger', 'vulnerable', 'care', 'feeling', 'question')", name='ck_journal_tag'),
    sa.CheckConstraint('length(body) BETWEEN 1 AND 20000', name='ck_journal_body_length'),
    sa.CheckConstraint('(shared_couple_id IS NULL) = (shared_at IS NULL)', name='ck_journal_shared'),
    sa.CheckConstraint('(therapist_link_id IS NULL) = (therapist_shared_at IS NULL)', name='ck_journal_therapist'),
    sa.CheckConstraint("response IS NULL OR response IN ('heard', 'partly')", name='ck_journal_response'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shared_couple_id'], ['couples.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['therapist_link_id'], ['therapist_links.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.create_index('ix_journal_entries_author', ['user_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_entries_shared_couple_id'), ['shared_couple_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_entries_therapist_link_id'), ['therapist_link_id'], unique=False)

    op.create_table('reassurance_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('couple_id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.String(length=280), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reply', sa.String(length=280), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('line IS NULL OR length(line) BETWEEN 1 AND 280', name='ck_reassurance_line'),
    sa.CheckConstraint('reply IS NULL OR length(reply) BETWEEN 1 AND 280', name='ck_reassurance_reply'),
    sa.CheckConstraint('(reply IS NULL) = (replied_at IS NULL)', name='ck_reassurance_replied'),
    sa.CheckConstraint('sender_id <> recipient_id', name='ck_reassurance_two_people'),
    sa.ForeignKeyConstraint(['couple_id'], ['couples.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reassurance_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reassurance_requests_couple_id'), ['couple_id'], unique=False)
        batch_op.create_index('ix_reassurance_sender', ['sender_id', 'created_at'], unique=False)
        batch_op.create_index('ix_reassurance_recipient', ['recipient_id', 'created_at'], unique=False)

    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('worry', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('csi_happiness', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('csi_warm', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('csi_rewarding', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('csi_satisfied', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('csi_shared', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_check_constraint('ck_checkins_csi', CSI)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receive_reassurance', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(
            sa.Column('allow_urgent_reassurance', sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table('request_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('journal_entry_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_request_keys_journal_entry_id', 'journal_entries', ['journal_entry_id'], ['id'], ondelete='CASCADE'
        )

    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('journal_entry_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint('ck_access_log_kind', type_='check')
        batch_op.create_check_constraint('ck_access_log_kind', f"kind IN ({ACCESS_AFTER})")

    with op.batch_alter_table('push_messages', schema=None) as batch_op:
        batch_op.drop_constraint('ck_push_messages_kind', type_='check')
        batch_op.create_check_constraint('ck_push_messages_kind', f"kind IN ({KINDS_AFTER})")


def downgrade():
    op.execute("DELETE FROM push_messages WHERE kind IN ('reassurance', 'reassurance_reply')")
    with op.batch_alter_table('push_messages', schema=None) as batch_op:
        batch_op.drop_constraint('ck_push_messages_kind', type_='check')
        batch_op.create_check_constraint('ck_push_messages_kind', f"kind IN ({KINDS_BEFORE})")

    op.execute("DELETE FROM access_log WHERE kind = 'journal'")
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_constraint('ck_access_log_kind', type_='check')
        batch_op.create_check_constraint('ck_access_log_kind', f"kind IN ({ACCESS_BEFORE})")
        batch_op.drop_column('journal_entry_id')

    with op.batch_alter_table('request_keys', schema=None) as batch_op:
        batch_op.drop_constraint('fk_request_keys_journal_entry_id', type_='foreignkey')
        batch_op.drop_column('journal_entry_id')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('allow_urgent_reassurance')
        batch_op.drop_column('receive_reassurance')

    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_constraint('ck_checkins_csi', type_='check')
        batch_op.drop_column('csi_shared')
        batch_op.drop_column('csi_satisfied')
        batch_op.drop_column('csi_rewarding')
        batch_op.drop_column('csi_warm')
        batch_op.drop_column('csi_happiness')
        batch_op.drop_column('worry')

    with op.batch_alter_table('reassurance_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_reassurance_recipient')
        batch_op.drop_index('ix_reassurance_sender')
        batch_op.drop_index(batch_op.f('ix_reassurance_requests_couple_id'))
    op.drop_table('reassurance_requests')

    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_entries_therapist_link_id'))
        batch_op.drop_index(batch_op.f('ix_journal_entries_shared_couple_id'))
        batch_op.drop_index('ix_journal_entries_author')
    op.drop_table('journal_entries')
