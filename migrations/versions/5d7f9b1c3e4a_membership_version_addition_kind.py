"""membership version (a person's own changes move it, not the couple's); "addition" is a notification kind

Revision ID: 5d7f9b1c3e4a
Revises: 3c5e7a9b1d2f
Create Date: 2026-12-02 02:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d7f9b1c3e4a'
down_revision = '3c5e7a9b1d2f'
branch_labels = None
depends_on = None

KINDS_BEFORE = "'new_prompt', 'partner_answered', 'reveal', 'reflection', 'reminder'"
KINDS_AFTER = "'new_prompt', 'partner_answered', 'reveal', 'reflection', 'addition', 'reminder'"


def upgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('push_messages', schema=None) as batch_op:
        batch_op.drop_constraint('ck_push_messages_kind', type_='check')
        batch_op.create_check_constraint('ck_push_messages_kind', f"kind IN ({KINDS_AFTER})")
    # A request to add something was queued as a "reflection" with an "addition:" key.
    op.execute("UPDATE push_messages SET kind = 'addition' WHERE event_key LIKE 'addition:%'")


def downgrade():
    op.execute("UPDATE push_messages SET kind = 'reflection' WHERE kind = 'addition'")
    with op.batch_alter_table('push_messages', schema=None) as batch_op:
        batch_op.drop_constraint('ck_push_messages_kind', type_='check')
        batch_op.create_check_constraint('ck_push_messages_kind', f"kind IN ({KINDS_BEFORE})")
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('version')
