"""subscriptions: plans and their movies, subscriptions (one open per user), payments

Revision ID: 0003_subscriptions
Revises: 0002_auth
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamcore.storage.sql.schema import UTCDateTime

revision = "0003_subscriptions"
down_revision = "0002_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the subscription tables and their indexes."""
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("name_key", sa.String(400), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("price_cents", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("period", sa.String(5), nullable=False),
        sa.Column("includes_new_movies", sa.Boolean, nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("deleted_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_plans"),
    )
    live = sa.text("deleted_at IS NULL")
    op.create_index(
        "uq_plans_name_live",
        "plans",
        ["name_key"],
        unique=True,
        sqlite_where=live,
        postgresql_where=live,
    )
    op.create_table(
        "plan_movies",
        sa.Column("plan_id", sa.Integer, nullable=False),
        sa.Column("movie_id", sa.Integer, nullable=False),
        sa.Column("live", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.PrimaryKeyConstraint("plan_id", "movie_id", name="pk_plan_movies"),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name="fk_plan_movies_plan_id_plans", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["movie_id"], ["movies.id"], name="fk_plan_movies_movie_id_movies", ondelete="CASCADE"
        ),
    )
    op.create_index(
        "ix_plan_movies_plan_id_live_movie_id", "plan_movies", ["plan_id", "live", "movie_id"]
    )
    op.create_index("ix_plan_movies_movie_id", "plan_movies", ["movie_id"])
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("plan_id", sa.Integer, nullable=False),
        sa.Column("paid_until", UTCDateTime, nullable=True),
        sa.Column("canceled_at", UTCDateTime, nullable=True),
        sa.Column("closed_at", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_subscriptions_user_id_users"),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name="fk_subscriptions_plan_id_plans"),
    )
    open_ = sa.text("canceled_at IS NULL AND closed_at IS NULL")
    op.create_index(
        "uq_subscriptions_user_id_open",
        "subscriptions",
        ["user_id"],
        unique=True,
        sqlite_where=open_,
        postgresql_where=open_,
    )
    op.create_index("ix_subscriptions_user_id", "subscriptions", ["user_id"])
    op.create_index("ix_subscriptions_plan_id", "subscriptions", ["plan_id"])
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subscription_id", sa.Integer, nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("paid_at", UTCDateTime, nullable=False),
        sa.Column("period_start", UTCDateTime, nullable=False),
        sa.Column("period_end", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
        sa.UniqueConstraint("reference", name="uq_payments_reference"),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name="fk_payments_subscription_id_subscriptions",
        ),
    )
    op.create_index("ix_payments_subscription_id", "payments", ["subscription_id"])


def downgrade() -> None:
    """Drop the subscription tables."""
    op.drop_table("payments")
    op.drop_table("subscriptions")
    op.drop_table("plan_movies")
    op.drop_table("plans")
