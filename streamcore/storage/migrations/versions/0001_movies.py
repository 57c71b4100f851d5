"""movies: the catalogue, its genre and country tags (with the live flag), the live indexes

Revision ID: 0001_movies
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from streamcore.storage.sql.schema import SortableText, UTCDateTime

revision = "0001_movies"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the movie tables and their indexes."""
    op.create_table(
        "movies",
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
        sa.PrimaryKeyConstraint("id", name="pk_movies"),
    )
    live = sa.text("deleted_at IS NULL")
    op.create_index(
        "uq_movies_title_year_live",
        "movies",
        ["title_key", "year"],
        unique=True,
        sqlite_where=live,
        postgresql_where=live,
    )
    op.create_index("ix_movies_year", "movies", ["year"])
    op.create_index("ix_movies_created_at", "movies", ["created_at"])
    # A narrow index of the live movies: counting and paging the unfiltered catalogue reads it.
    op.create_index("ix_movies_live_id", "movies", ["id"], sqlite_where=live, postgresql_where=live)
    for name, column, length in (("movie_genres", "genre", 50), ("movie_countries", "country", 2)):
        op.create_table(
            name,
            sa.Column("movie_id", sa.Integer, nullable=False),
            sa.Column(column, sa.String(length), nullable=False),
            # A copy of the movie's live flag, so that one index serves filtered listings.
            sa.Column("live", sa.Boolean, nullable=False, server_default=sa.true()),
            sa.ForeignKeyConstraint(
                ["movie_id"], ["movies.id"], name=f"fk_{name}_movie_id_movies", ondelete="CASCADE"
            ),
            sa.PrimaryKeyConstraint("movie_id", column, name=f"pk_{name}"),
        )
        op.create_index(f"ix_{name}_{column}_live_movie_id", name, [column, "live", "movie_id"])


def downgrade() -> None:
    """Drop the movie tables."""
    op.drop_table("movie_countries")
    op.drop_table("movie_genres")
    op.drop_table("movies")
