"""The team server's users: the tokens file and the bearer-token lookup. No MCP, no HTTP.

The file (`OPENROUTER_MCP_TOKENS_FILE`) holds one user a line, `<user> <token> [<daily budget USD>]`;
blank lines and `#` comments are ignored. It holds secrets, so a file that its group or other users
may read or write is refused, as OpenSSH refuses a private key with loose permissions. Tokens are
compared in constant time against every entry (no early exit), so timing tells nothing about which
token, or how much of one, was right.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from dataclasses import dataclass

from .identity import Caller

TOKENS_VARIABLE = "OPENROUTER_MCP_TOKENS_FILE"


class TokensFileError(Exception):
    """The tokens file cannot be used; the message says why and names the variable."""


@dataclass(frozen=True, slots=True)
class _Entry:
    digest: bytes
    caller: Caller


def _digest(token: str) -> bytes:
    # Equal-length digests: compare_digest's time then depends on neither token's length.
    return hashlib.sha256(token.encode("utf-8")).digest()


@dataclass(frozen=True, slots=True)
class TokenTable:
    """The users of the team server, each found by their bearer token."""

    entries: tuple[_Entry, ...]

    @property
    def users(self) -> list[str]:
        return [entry.caller.user for entry in self.entries]

    def caller_for(self, token: str) -> Caller | None:
        given = _digest(token)
        found: Caller | None = None
        for entry in self.entries:
            if hmac.compare_digest(given, entry.digest):
                found = entry.caller
        return found


def _budget(text: str, where: str) -> float:
    try:
        value = float(text.removeprefix("$"))
    except ValueError:
        raise TokensFileError(f"{where}: daily budget {text!r} is not a number of USD") from None
    if not value >= 0 or value == float("inf"):
        raise TokensFileError(f"{where}: daily budget {text!r} must be a number of USD, 0 or more")
    return value


def parse_tokens(text: str, *, source: str) -> TokenTable:
    """Parse the file's text; each malformed line is named by its number."""
    entries: list[_Entry] = []
    users: set[str] = set()
    digests: set[bytes] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].split("\t#", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        where = f"{TOKENS_VARIABLE} {source} line {number}"
        fields = line.split()
        if len(fields) not in (2, 3):
            raise TokensFileError(f"{where}: expected '<user> <token> [<daily budget USD>]', got {len(fields)} fields")
        user, token = fields[0], fields[1]
        budget = _budget(fields[2], where) if len(fields) == 3 else None
        if user in users:
            raise TokensFileError(f"{where}: user {user!r} is listed twice")
        digest = _digest(token)
        if digest in digests:
            raise TokensFileError(f"{where}: this token is already given to another user")
        users.add(user)
        digests.add(digest)
        entries.append(_Entry(digest, Caller(user=user, daily_budget_usd=budget)))
    if not entries:
        raise TokensFileError(f"{TOKENS_VARIABLE} {source} lists no users")
    return TokenTable(tuple(entries))


def load_tokens(path: str) -> TokenTable:
    """Read and check the tokens file: it must be a regular file only its owner can read or write."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise TokensFileError(f"{TOKENS_VARIABLE} {path} cannot be opened: {exc.strerror}") from None
    # Checked on the opened descriptor, not the path, which could change in between.
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise TokensFileError(f"{TOKENS_VARIABLE} {path} is not a regular file")
    with os.fdopen(fd, "r", encoding="utf-8") as handle:
        loose = info.st_mode & (stat.S_IRWXG | stat.S_IRWXO)
        if os.name == "posix" and loose:
            raise TokensFileError(
                f"{TOKENS_VARIABLE} {path} is accessible by others than its owner "
                f"(mode {stat.S_IMODE(info.st_mode):04o}); it holds secrets: run `chmod 600 {path}`"
            )
        try:
            text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise TokensFileError(f"{TOKENS_VARIABLE} {path} cannot be read: {exc}") from None
    return parse_tokens(text, source=path)
