"""Database plumbing: the SQLAlchemy extension, column types, the pool and the audit log."""
