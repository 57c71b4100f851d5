"""The SQLAlchemy 2 Core backend (SQLite, PostgreSQL): tables, repositories, unit of work.

Core only, never the ORM: ``import sqlalchemy.orm`` alone costs ~0.1 s more at start-up.
"""
