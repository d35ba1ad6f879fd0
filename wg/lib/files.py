"""Files and folders wg creates hold members' data: folders 0700, files 0600, whatever the process umask says."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import BinaryIO

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def make_private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents as folders only the owner can open (existing folders are left as
    they are: an operator may have set them up on purpose)."""
    missing = []
    current = Path(path)
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:  # another process made it meanwhile
            continue
        os.chmod(folder, PRIVATE_DIR_MODE)  # mkdir's mode is filtered by the umask; say it exactly
    return Path(path)


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty, readable and writable by the owner only; False when it already existed."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)
    return True


def open_private(path: Path) -> BinaryIO:
    """Open ``path`` for writing (created or truncated) with owner-only permissions, also when it existed."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    fh = os.fdopen(fd, "wb")
    os.fchmod(fd, PRIVATE_FILE_MODE)
    return fh


def write_private_bytes(path: Path, data: bytes, sync: bool = False) -> None:
    """Write ``data`` to ``path`` (created or truncated) with owner-only permissions; ``sync``: on disk before
    returning (before an atomic rename)."""
    with open_private(path) as fh:
        fh.write(data)
        if sync:
            fh.flush()
            os.fsync(fh.fileno())


def copy_private(source: Path, target: Path) -> None:
    """Copy a file's bytes to ``target`` with owner-only permissions (``shutil.copyfile`` uses the umask)."""
    with Path(source).open("rb") as src, open_private(target) as dst:
        shutil.copyfileobj(src, dst)
