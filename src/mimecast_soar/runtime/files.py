"""Files a run creates: readable by their owner only, never written through a symbolic link.

Output tables, resume journals and spools hold rows from Mimecast (addresses, subjects, URLs),
so they are created with mode 0600 whatever the umask; a file that already exists keeps its
mode. A path whose last component is a symbolic link is refused (checked with `lstat` and again
by `O_NOFOLLOW` when opening, so a link swapped in between is refused too): writing through it
would overwrite whatever the link points at. Every failure is a `ConfigurationError` of one line
naming the path.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import IO

from mimecast_soar.errors import ConfigurationError

#: The mode of every file a run creates.
PRIVATE_MODE = 0o600
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def describe_os_error(error: OSError) -> str:
    """The reason of an OS error as one short phrase ("No such file or directory")."""
    return error.strerror or os.strerror(error.errno or 0) or type(error).__name__


def refuse_symlink(path: Path, what: str) -> None:
    """Raise when `path` itself is a symbolic link (a missing path is fine)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    except OSError as error:
        raise ConfigurationError(f"cannot use {what} {path}: {describe_os_error(error)}") from None
    if stat.S_ISLNK(info.st_mode):
        raise ConfigurationError(
            f"{what} {path} is a symbolic link: refusing to write through it (give the real path)"
        )


def open_private(
    path: Path,
    what: str,
    *,
    append: bool = False,
    truncate: bool = True,
    readable: bool = False,
) -> int:
    """Open `path` for writing (created 0600, never through a link) and return its descriptor.

    `append` writes at the end; otherwise the file is truncated unless `truncate` is false
    (the resume code truncates to a byte count itself). `readable` opens it for reading too.
    """
    refuse_symlink(path, what)
    access = os.O_RDWR if readable else os.O_WRONLY
    flags = access | os.O_CREAT | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    if append:
        flags |= os.O_APPEND
    elif truncate:
        flags |= os.O_TRUNC
    try:
        return os.open(path, flags, PRIVATE_MODE)
    except OSError as error:
        if error.errno == errno.ELOOP:
            refuse_symlink(path, what)  # a link appeared since the check: same message
        raise ConfigurationError(
            f"cannot write {what} {path}: {describe_os_error(error)}"
        ) from None


def open_private_text(path: Path, what: str, *, append: bool = False) -> IO[str]:
    """`open_private` as a UTF-8 text stream with `\\n` line ends."""
    fd = open_private(path, what, append=append)
    return os.fdopen(fd, "a" if append else "w", encoding="utf-8", newline="\n")


def open_private_bytes(path: Path, what: str, *, append: bool = False) -> IO[bytes]:
    """`open_private` as a binary stream."""
    fd = open_private(path, what, append=append)
    return os.fdopen(fd, "ab" if append else "wb")


def make_parent(path: Path, what: str) -> None:
    """Create the folder `path` goes in, or raise one line naming it."""
    parent = path.parent
    if parent.exists():
        return
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigurationError(
            f"cannot create the folder {parent} for {what} {path}: {describe_os_error(error)}"
        ) from None
