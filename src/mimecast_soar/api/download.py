"""Writing a downloaded file to disk as it arrives: bounded, hashed, never left half-written.

Mimecast answers an archive file (get-file, get-message-part) with the raw bytes, and a failure
with the JSON envelope (docs/mimecast-api.md §12.7). `FileSink` takes the body of a non-JSON
answer chunk by chunk into a temporary file in the target folder, hashing it as it goes, so a
file of any size costs one chunk of memory. Past `max_bytes` (or a ``Content-Length`` above it)
the file is refused and the temporary file removed; so is any failure or cancellation while the
body arrives. Only a complete body is renamed to its final name, which `place` makes unique.

Names come from the server (``Content-Disposition``) or the caller, and are never trusted: path
separators, ``..``, control characters and leading dots are replaced (`safe_file_name`). A name
already taken gets a suffix (``report-1.pdf``), reserved with ``O_EXCL`` so two rows writing
``report.pdf`` at once never overwrite each other. Files are created 0600.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import unicodedata
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from mimecast_soar.connection_schema import DEFAULT_MAX_FILE_BYTES
from mimecast_soar.errors import MimecastError, ResponseFormatError

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "Downloaded",
    "FileSink",
    "FileTooLargeError",
    "FileWriteError",
    "place",
    "safe_file_name",
]

#: The longest file name we write, in characters (file systems allow 255 bytes).
_MAX_NAME = 120
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_TEMP_PREFIX = ".mimecast-download-"


class FileTooLargeError(MimecastError):
    """The file is larger than `max_file_bytes`: refused, not retried, nothing kept."""


class FileWriteError(MimecastError):
    """The file could not be written into the folder (permissions, a full disk): not retried."""


@dataclass(frozen=True)
class Downloaded:
    """A file written to disk: where, how big, its SHA-256 and the content type Mimecast gave."""

    path: Path
    size: int
    sha256: str
    content_type: str


def safe_file_name(name: str | None, fallback: str) -> str:
    """`name` made safe as one file name in a folder, or `fallback` (also made safe) if empty.

    Keeps the last component of either separator, drops control and format characters, turns
    leading dots into ``_`` (no ``..``, no hidden file) and shortens it, keeping the extension.
    """
    for candidate in (name, fallback, "download"):
        cleaned = _clean(candidate or "")
        if cleaned:
            return cleaned
    raise AssertionError("unreachable")  # pragma: no cover


def _clean(name: str) -> str:
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = (
        "".join(
            "_" if unicodedata.category(c).startswith("C") or c in ':*?"<>|' else c for c in last
        ).strip(" ._")
        if last.strip(" .")
        else ""
    )
    if not kept:
        return ""
    kept = kept.lstrip(".") or "_"
    if len(kept) > _MAX_NAME:
        stem, dot, ext = kept.rpartition(".")
        ext = ext[:16] if dot and stem else ""
        kept = kept[: _MAX_NAME - len(ext) - 1] + ("." + ext if ext else "")
    return kept


def disposition_name(headers: Mapping[str, str]) -> str | None:
    """The file name of a ``Content-Disposition`` header (RFC 6266, ``filename*`` too), if any."""
    value = headers.get("Content-Disposition")
    if not value:
        return None
    message = EmailMessage()
    try:
        message["Content-Disposition"] = value
        return message.get_filename()
    except (ValueError, TypeError, IndexError):
        return None


def place(temporary: Path, folder: Path, name: str) -> Path:
    """Move `temporary` to `folder/name`, or `name-1`, `name-2`... when it is taken."""
    stem, dot, ext = name.rpartition(".")
    if not stem:
        stem, dot, ext = name, "", ""
    for number in range(10_000):
        candidate = folder / (name if number == 0 else f"{stem}-{number}{dot}{ext}")
        try:
            # Reserve the name: O_EXCL fails when anything (a link included) holds it.
            descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
        except FileExistsError:
            continue
        os.close(descriptor)
        try:
            os.replace(temporary, candidate)
        except BaseException:
            with contextlib.suppress(OSError):
                candidate.unlink()
            raise
        return candidate
    raise FileExistsError(f"no free file name like {name} in {folder}")


class FileSink:
    """Receives one download's body into a temporary file in `folder`, within `max_bytes`."""

    def __init__(self, folder: Path, *, max_bytes: int, path: str) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.path = path
        self.temporary: Path | None = None
        self.size = 0
        self.sha256 = ""
        self.content_type = ""
        self.server_name: str | None = None

    async def take(
        self,
        chunks: AsyncIterator[bytes],
        headers: Mapping[str, str],
        content_length: int | None,
    ) -> None:
        """Write the body to a new temporary file; on any failure nothing is left behind."""
        if content_length is not None and content_length > self.max_bytes:
            raise self._too_large()
        self.discard()  # a retried attempt starts over
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            descriptor, name = tempfile.mkstemp(
                prefix=_TEMP_PREFIX, suffix=".part", dir=self.folder
            )
        except OSError as error:
            raise self._unwritable(error) from None
        temporary = Path(name)
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(descriptor, "wb") as stream:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise self._too_large()
                    digest.update(chunk)
                    try:
                        # A 64 KiB write lands in the page cache: cheap enough in the loop.
                        stream.write(chunk)
                    except OSError as error:
                        raise self._unwritable(error) from None
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(name)
            raise
        self.temporary, self.size, self.sha256 = temporary, size, digest.hexdigest()
        self.content_type = headers.get("Content-Type", "")
        self.server_name = disposition_name(headers)

    def finish(self, fallback_name: str, *, server_name: bool = True) -> Downloaded:
        """Give the file its final, unique name (the server's, made safe, else the fallback)."""
        if self.temporary is None:
            raise ResponseFormatError(
                f"Mimecast's response on {self.path} carried no file.", path=self.path
            )
        name = safe_file_name(self.server_name if server_name else None, fallback_name)
        try:
            final = place(self.temporary, self.folder, name)
        except OSError as error:
            raise self._unwritable(error) from None
        finally:
            self.discard()
        return Downloaded(final, self.size, self.sha256, self.content_type)

    def discard(self) -> None:
        """Remove the temporary file, if one is still there."""
        temporary, self.temporary = self.temporary, None
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink()

    def _unwritable(self, error: OSError) -> FileWriteError:
        reason = error.strerror or type(error).__name__
        return FileWriteError(
            f"The file from {self.path} could not be written into {self.folder}: {reason}.",
            path=self.path,
        )

    def _too_large(self) -> FileTooLargeError:
        return FileTooLargeError(
            f"The file Mimecast sent on {self.path} is larger than max_file_bytes "
            f"({self.max_bytes} bytes); it was not kept.",
            path=self.path,
        )
