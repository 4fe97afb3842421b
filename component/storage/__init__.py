"""MySQL/MariaDB adapter: the only package importing aiomysql; all SQL lives here, with %s."""

from component.storage.database import Database, RowsRejected, StorageError, open_database

__all__ = ["Database", "RowsRejected", "StorageError", "open_database"]
