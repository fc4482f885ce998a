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


def upgrade():
    pass


def downgrade():
    pass
