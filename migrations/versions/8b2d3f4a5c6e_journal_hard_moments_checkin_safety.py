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


def upgrade():
    pass


def downgrade():
    pass
