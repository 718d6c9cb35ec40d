"""The database: SQLAlchemy models (the tables, constraints and indexes the migrations create),
engines, the embedded PostgreSQL, migrations driven from code, backups, statistics, seed data.

May import `settings`; nothing above it.
"""
