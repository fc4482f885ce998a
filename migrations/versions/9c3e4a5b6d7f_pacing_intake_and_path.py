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
    pass


def downgrade():
    pass
