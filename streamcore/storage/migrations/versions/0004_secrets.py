"""secrets: named values made once per database (the playback URLs' signing key)

Revision ID: 0004_secrets
Revises: 0003_subscriptions
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamcore.storage.sql.schema import UTCDateTime

revision = "0004_secrets"
down_revision = "0003_subscriptions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the secrets table."""
    op.create_table(
        "secrets",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_secrets"),
    )


def downgrade() -> None:
    """Drop the secrets table (every playback URL signed with a generated key stops working)."""
    op.drop_table("secrets")
