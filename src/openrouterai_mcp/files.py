"""The file sandbox: a local file is read only when its real path lies inside OPENROUTER_FILE_ROOTS.

Rules, in order (all in `read_inside`, which is blocking and runs in a worker thread):
1. No roots configured: nothing local is read.
2. The path must be absolute; `os.path.realpath` resolves every symlink and `..`; the result must be
   inside a root (`os.path.commonpath`). Roots themselves were made absolute and real at config time.
3. The real path is opened with `O_NOFOLLOW` (a last component swapped for a symlink in between fails)
   and `O_NONBLOCK` (a FIFO cannot hang the open); on Linux the opened descriptor's own path
   (`/proc/self/fd/N`) is checked against the roots again, which defeats any swap of a parent directory.
4. Type and size come from `fstat` on that descriptor: only a regular file, no larger than the limit.
5. Reading stops one byte past the limit, so a file that grows after the check is refused too.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .media import Media

_CHUNK = 1024 * 1024
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)


class FileRefused(ValueError):
    """The file may not or cannot be read; the message says why, never what it contains."""


class FileTooLarge(FileRefused):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the file is at least {size} bytes, over the {limit}-byte limit")
        self.size = size
        self.limit = limit


@dataclass(slots=True)
class LocalFile:
    """A file read whole; `data` is handed over (set to None) once encoded, to free it early."""

    name: str
    data: bytearray | None
    size: int
    media: Media | None = None


def local_path(source: str) -> str | None:
    """The path a `file://` URL or an absolute (or `~`) path names; None when the source is not local."""
    if source[:7].lower() == "file://":
        parts = urlsplit(source)
        if parts.netloc not in ("", "localhost"):
            raise FileRefused("a file:// URL must name a local file (file:///path or file://localhost/path)")
        return unquote(parts.path)
    expanded = os.path.expanduser(source) if source.startswith("~") else source
    return expanded if os.path.isabs(expanded) else None


def inside(real_path: str, roots: Sequence[str]) -> bool:
    for root in roots:
        try:
            if os.path.commonpath([real_path, root]) == root:
                return True
        except ValueError:  # different drives on Windows
            continue
    return False


def _type_name(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _open(real: str, given: str) -> int:
    try:
        return os.open(real, _OPEN_FLAGS)
    except FileNotFoundError:
        raise FileRefused(f"{given}: no such file") from None
    except PermissionError:
        raise FileRefused(f"{given}: permission denied") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileRefused(f"{given}: the path changed into a symbolic link while being opened") from None
        raise FileRefused(f"{given}: cannot be opened ({exc.strerror})") from None


def _descriptor_path(fd: int) -> str | None:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None


def _read_sized(fd: int, size: int) -> bytearray:
    """Read up to `size` bytes into one buffer allocated up front (no reallocation while reading)."""
    data = bytearray(size)
    got = 0
    with os.fdopen(fd, "rb", buffering=0, closefd=False) as handle, memoryview(data) as view:
        while got < size:
            count = handle.readinto(view[got : got + _CHUNK])
            if not count:
                break
            got += count
    if got < size:  # the file shrank since fstat
        del data[got:]
    return data


def _outside(given: str, path: str, roots: Sequence[str]) -> str:
    """Why a path is refused, with the roots it may use and what to do (the real path is not shown)."""
    shown = f"{given} ({path})" if given.startswith("~") else given
    return (
        f"{shown} is outside the directories in OPENROUTER_FILE_ROOTS ({os.pathsep.join(roots)}; symbolic links "
        "and '..' are resolved first): use a file inside one of them, or add its directory to OPENROUTER_FILE_ROOTS"
    )


def read_inside(given: str, path: str, roots: Sequence[str] | None, limit: int) -> LocalFile:
    """Read a whole file under the sandbox rules (module docstring). Blocking: run it in a thread."""
    if not roots:
        raise FileRefused(
            "reading local files is off: set OPENROUTER_FILE_ROOTS to the directories the server may read "
            f"(absolute paths separated by {os.pathsep!r})"
        )
    if not os.path.isabs(path):
        raise FileRefused(f"{given}: not an absolute path")
    real = os.path.realpath(path)
    if not inside(real, roots):
        raise FileRefused(_outside(given, path, roots))
    fd = _open(real, given)
    try:
        opened = _descriptor_path(fd)
        if opened is not None and not inside(opened, roots):
            raise FileRefused(_outside(given, path, roots))
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(f"{given} is {_type_name(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise FileTooLarge(info.st_size, limit)
        data = _read_sized(fd, info.st_size)
        # Whatever the file grew by since fstat: read on, and stop one byte past the limit.
        while True:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - len(data)))
            if not chunk:
                break
            data += chunk
            if len(data) > limit:
                raise FileTooLarge(len(data), limit)
        return LocalFile(os.path.basename(path), data, len(data))
    finally:
        os.close(fd)
