"""Where the SQLite file lives, created private: directory 0700, file 0600."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "openrouterai-mcp"
FILE_NAME = "store.sqlite3"


def data_directory(data_dir: str | None) -> Path:
    if data_dir:
        return Path(data_dir).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def sqlite_path(data_dir: str | None) -> Path:
    """The database file, its directory and the file created with owner-only modes when absent."""
    directory = data_directory(data_dir)
    if not directory.exists():
        directory.mkdir(mode=0o700, parents=True)
        os.chmod(directory, 0o700)
    path = directory / FILE_NAME
    if not path.exists():
        descriptor = os.open(path, os.O_CREAT | os.O_RDWR | getattr(os, "O_NOFOLLOW", 0), 0o600)
        os.close(descriptor)
        os.chmod(path, 0o600)
    return path
