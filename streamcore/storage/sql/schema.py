"""Tables and column types of the SQL backend; Alembic migrations create them.

``REVISIONS`` lists the migrations shipped (a test keeps it equal to Alembic's history), so that
opening a database checks its schema without importing Alembic.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

REVISIONS = ("0001_movies", "0002_auth", "0003_subscriptions", "0004_secrets")
"""Every migration shipped, oldest first; a test keeps this equal to Alembic's history."""
SCHEMA_REVISION = REVISIONS[-1]

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC in and out; SQLite (no time zones) stores naive UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalize to UTC before storing."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; streamcore stores timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return aware UTC whatever the driver gives."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Byte-wise ordering on PostgreSQL too, so sort order equals SQLite's and the memory backend's.
SortableText = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")

movies = sa.Table(
    "movies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("title_key", SortableText, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("duration_minutes", sa.Integer, nullable=True),
    sa.Column("genres", sa.JSON, nullable=False),
    sa.Column("countries", sa.JSON, nullable=False),
    sa.Column("media_path", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("deleted_at", UTCDateTime, nullable=True),
)
# (title, year) is unique among movies that are not deleted: two processes cannot both win.
sa.Index(
    "uq_movies_title_year_live",
    movies.c.title_key,
    movies.c.year,
    unique=True,
    sqlite_where=movies.c.deleted_at.is_(None),
    postgresql_where=movies.c.deleted_at.is_(None),
)
sa.Index("ix_movies_year", movies.c.year)
# A narrow index of the live movies: counting and paging the unfiltered catalogue reads only it.
sa.Index(
    "ix_movies_live_id",
    movies.c.id,
    sqlite_where=movies.c.deleted_at.is_(None),
    postgresql_where=movies.c.deleted_at.is_(None),
)
sa.Index("ix_movies_created_at", movies.c.created_at)


def _tag_table(name: str, column: str, length: int) -> sa.Table:
    """A tag of movies (genre, country), with a copy of the movie's live flag.

    The copy lets one index answer "live movies with this tag", in order and counted,
    without visiting the movies table: the catalogue's filtered listings depend on it.
    """
    table = sa.Table(
        name,
        metadata,
        sa.Column("movie_id", sa.ForeignKey("movies.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(column, sa.String(length), primary_key=True),
        sa.Column("live", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    sa.Index(f"ix_{name}_{column}_live_movie_id", table.c[column], table.c.live, table.c.movie_id)
    return table


movie_genres = _tag_table("movie_genres", "genre", 50)
movie_countries = _tag_table("movie_countries", "country", 2)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    # casefold(email + " " + name): the same case-insensitive search on every backend.
    sa.Column("search_key", sa.Text, nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("notify_new_movies", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("deleted_at", UTCDateTime, nullable=True),
    # Emails are stored lower-cased, so a plain unique constraint is case-insensitive.
    sa.UniqueConstraint("email", name="uq_users_email"),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)
sa.Index("ix_tokens_user_id", tokens.c.user_id)
sa.Index("ix_tokens_expires_at", tokens.c.expires_at)

login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("failed_at", UTCDateTime, nullable=False),
)
sa.Index("ix_login_failures_email_failed_at", login_failures.c.email, login_failures.c.failed_at)
sa.Index("ix_login_failures_failed_at", login_failures.c.failed_at)

plans = sa.Table(
    "plans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("name_key", sa.String(400), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    # Money as whole cents: exact on every backend (SQLite has no exact decimal type).
    sa.Column("price_cents", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("period", sa.String(5), nullable=False),
    sa.Column("includes_new_movies", sa.Boolean, nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("deleted_at", UTCDateTime, nullable=True),
)
sa.Index(
    "uq_plans_name_live",
    plans.c.name_key,
    unique=True,
    sqlite_where=plans.c.deleted_at.is_(None),
    postgresql_where=plans.c.deleted_at.is_(None),
)

plan_movies = sa.Table(
    "plan_movies",
    metadata,
    sa.Column("plan_id", sa.ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("movie_id", sa.ForeignKey("movies.id", ondelete="CASCADE"), primary_key=True),
    # A copy of the movie's live flag (kept by the movie repository), like the tag tables.
    sa.Column("live", sa.Boolean, nullable=False, server_default=sa.true()),
)
sa.Index(
    "ix_plan_movies_plan_id_live_movie_id",
    plan_movies.c.plan_id,
    plan_movies.c.live,
    plan_movies.c.movie_id,
)
sa.Index("ix_plan_movies_movie_id", plan_movies.c.movie_id)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), nullable=False),
    sa.Column("plan_id", sa.ForeignKey("plans.id"), nullable=False),
    sa.Column("paid_until", UTCDateTime, nullable=True),
    sa.Column("canceled_at", UTCDateTime, nullable=True),
    # Set when an expired subscription is superseded by a new one: "open" means neither.
    sa.Column("closed_at", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
_OPEN = sa.and_(subscriptions.c.canceled_at.is_(None), subscriptions.c.closed_at.is_(None))
# At most one open subscription per user: two processes cannot both subscribe one user.
sa.Index(
    "uq_subscriptions_user_id_open",
    subscriptions.c.user_id,
    unique=True,
    sqlite_where=_OPEN,
    postgresql_where=_OPEN,
)
sa.Index("ix_subscriptions_user_id", subscriptions.c.user_id)
sa.Index("ix_subscriptions_plan_id", subscriptions.c.plan_id)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("subscription_id", sa.ForeignKey("subscriptions.id"), nullable=False),
    sa.Column("amount_cents", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("reference", sa.String(200), nullable=False),
    sa.Column("paid_at", UTCDateTime, nullable=False),
    sa.Column("period_start", UTCDateTime, nullable=False),
    sa.Column("period_end", UTCDateTime, nullable=False),
    # Recording one provider reference twice cannot both win.
    sa.UniqueConstraint("reference", name="uq_payments_reference"),
)
sa.Index("ix_payments_subscription_id", payments.c.subscription_id)

secrets = sa.Table(
    "secrets",
    metadata,
    # Written once by whichever process comes first (insert-if-absent), then only read.
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("value", sa.LargeBinary, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)
