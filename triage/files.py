"""Private files and folders: what Médiature writes (database, outbox, logs, scans, quarantine) is for its
own system account only — files 0600, folders 0700.

Two layers: every entry point sets the umask to 077 before anything is created (`restrict_umask`), and
the places that create files give the mode explicitly, so that a library or a caller with another umask
cannot widen it. Folders that already exist keep their mode: an administrator may share one on purpose
(a scan drop folder written by the scanner's account, for instance).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

PRIVATE_UMASK = 0o077
FILE_MODE = 0o600
DIR_MODE = 0o700


def restrict_umask() -> int:
    """Files and folders created from now on are private to this account; returns the previous umask."""
    return os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as 0700 folders; an existing folder is left as it is."""
    if not path.is_dir():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def private_file(path: Path) -> Path:
    """Make sure `path` exists and is 0600 (created empty when absent), before something opens it."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def open_private(path: Path) -> IO[bytes]:
    """Open `path` for writing bytes (truncated), created 0600 whatever the umask."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, "wb")


def make_private(path: Path) -> Path:
    """Set a file we placed (a copy, a moved file) to 0600."""
    os.chmod(path, FILE_MODE)
    return path
