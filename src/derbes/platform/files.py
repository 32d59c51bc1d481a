"""Files derbes makes are its own: directories 0700, files 0600, whatever the shell's umask.

What derbes keeps on disk is personal data or opens it: the databases and their
WAL and shared-memory files, the KEK, answer letters, destruction acts, notices
and evidence exports. Law 94-V Art. 22 asks the operator to protect PD from
unauthorised access; a file any local account can read is not protected. So:

* :func:`restrict_process` sets the umask to 077 at the start of every CLI
  command and of the server: anything the process creates (SQLite's -wal and
  -shm files included) is born private;
* :func:`write_private` writes a file with mode 0600 even when it existed before
  with a wider one, and :func:`private_dir` makes (or tightens) a directory to 0700;
* :func:`tighten_sqlite` brings an existing database's files to 0600 when an
  engine opens it (files made by an older version, or by a tool run with umask 022).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600
_SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def restrict_process() -> None:
    """Files and directories this process creates from now on: no access for others."""
    os.umask(UMASK)


def _tighten(path: Path, mode: int) -> None:
    """Remove group and other bits from ``path`` if it is ours (never follow a symlink)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
        return
    if stat.S_IMODE(info.st_mode) & 0o077:
        with contextlib.suppress(PermissionError):
            path.chmod(stat.S_IMODE(info.st_mode) & mode)


def private_dir(path: Path) -> Path:
    """``path`` as a directory that only its owner can enter (made with parents if needed)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, DIR_MODE)
    return path


def tighten_dir(path: Path) -> None:
    """An existing directory of derbes (``var/``) back to 0700; nothing if it is missing."""
    _tighten(path, DIR_MODE)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600 (also when the file was there before)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0),
                 FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb", closefd=False) as out:
            out.write(data)
    finally:
        os.close(fd)


def tighten_sqlite(database: Path) -> None:
    """A SQLite database's files (main, WAL, shared memory, journal) to 0600."""
    for suffix in _SQLITE_SUFFIXES:
        _tighten(database.with_name(database.name + suffix), FILE_MODE)


def fsync_directory(directory: Path) -> None:
    """Make a create, rename or unlink in ``directory`` durable (some file systems refuse)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_new_private(path: Path, content: bytes) -> None:
    """Write ``content`` to a new file ``path`` with mode 0600, synced (fails if it exists)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # the umask can only remove bits; make the mode exact anyway
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)
