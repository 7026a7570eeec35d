"""The Claude Code login: read the OAuth access token (file or macOS Keychain), never refresh it."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ai_budget.errors import CredentialsError
from ai_budget.timeutil import now, parse_time

KEYCHAIN_SERVICE = "Claude Code-credentials"
REFRESH_HINT = "run `claude` to refresh the login"
# What may go into an Authorization header: printable ASCII, no white space.
TOKEN_SHAPE = re.compile(r"[\x21-\x7e]+")


@dataclass(frozen=True)
class Credentials:
    """An access token and what is known about it; repr never shows the token."""

    token: str = field(repr=False)
    expires_at: datetime | None
    scopes: tuple[str, ...] | None

    def check(self) -> None:
        """Refuse a token that is expired or cannot read usage, before any request is made."""
        if self.expires_at is not None and self.expires_at <= now():
            raise CredentialsError(
                f"the Claude login expired at {self.expires_at:%Y-%m-%d %H:%M} UTC: {REFRESH_HINT}"
            )
        if self.scopes is not None and "user:profile" not in self.scopes:
            raise CredentialsError(
                "the Claude login lacks the user:profile scope needed to read usage: "
                "run `claude` and /login again"
            )


def _from_blob(blob: Any, origin: str) -> Credentials:
    oauth = blob.get("claudeAiOauth") if isinstance(blob, dict) else None
    token = oauth.get("accessToken") if isinstance(oauth, dict) else None
    if not isinstance(token, str) or not token.strip():
        raise CredentialsError(f"{origin} has no claudeAiOauth.accessToken: log in with `claude`")
    if not TOKEN_SHAPE.fullmatch(token.strip()):
        # Never echo it: a malformed token may still be most of a real one.
        raise CredentialsError(
            f"{origin} holds a malformed access token (spaces or control characters in it): "
            "run `claude` and /login again"
        )
    assert isinstance(oauth, dict)
    try:
        expires = parse_time(oauth.get("expiresAt"))
    except (ValueError, OverflowError):
        raise CredentialsError(f"{origin} has an unreadable expiresAt: {REFRESH_HINT}") from None
    scopes = oauth.get("scopes")
    return Credentials(
        token=token.strip(),
        expires_at=expires,
        scopes=tuple(scopes) if isinstance(scopes, list) else None,
    )


def _read_file(path: Path) -> Credentials:
    try:
        blob = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        raise CredentialsError(f"{path} is not valid JSON: log in again with `claude`") from None
    except UnicodeDecodeError as exc:
        raise CredentialsError(
            f"{path} is not UTF-8 text (bad byte at offset {exc.start}): log in again with `claude`"
        ) from None
    except OSError as exc:
        raise CredentialsError(f"cannot read {path} ({exc.strerror}): check its permissions") from None
    return _from_blob(blob, str(path))


def _keychain_services(claude_dir: Path) -> list[str]:
    # With CLAUDE_CONFIG_DIR, newer Claude Code suffixes the service with a hash of the dir.
    services = []
    if os.environ.get("CLAUDE_CONFIG_DIR"):
        digest = hashlib.sha256(unicodedata.normalize("NFC", str(claude_dir)).encode()).hexdigest()
        services.append(f"{KEYCHAIN_SERVICE}-{digest[:8]}")
    services.append(KEYCHAIN_SERVICE)
    return services


def _read_keychain(claude_dir: Path) -> Credentials | None:
    security = shutil.which("security")
    if security is None:
        return None
    for service in _keychain_services(claude_dir):
        try:
            done = subprocess.run(
                [security, "find-generic-password", "-s", service, "-w"],
                capture_output=True,
                text=True,
                timeout=10,
            )
        except (OSError, subprocess.TimeoutExpired):
            raise CredentialsError(
                "the macOS Keychain did not answer: unlock it (`security unlock-keychain`) and retry"
            ) from None
        if done.returncode == 44:  # item not found
            continue
        if done.returncode != 0:
            raise CredentialsError(
                f"the macOS Keychain refused to give the Claude login (exit {done.returncode}): "
                "unlock it (`security unlock-keychain`) and retry"
            )
        text = done.stdout.strip()
        try:
            blob = json.loads(text)
        except json.JSONDecodeError:
            try:  # some versions store the JSON hex-encoded
                blob = json.loads(bytes.fromhex(text).decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                raise CredentialsError(
                    f"the Keychain item {service!r} is not readable JSON: log in again with `claude`"
                ) from None
        return _from_blob(blob, f"Keychain item {service!r}")
    return None


def load(claude_dir: Path) -> Credentials:
    """The stored Claude Code login for `claude_dir`: Keychain first on macOS, else the file."""
    path = claude_dir / ".credentials.json"
    found: Credentials | None = None
    # On macOS a stale file can sit beside the Keychain item, so the Keychain wins there.
    if sys.platform == "darwin" or not path.exists():
        found = _read_keychain(claude_dir)
    if found is None and path.exists():
        found = _read_file(path)
    if found is not None:
        return found
    if os.environ.get("CLAUDE_CODE_OAUTH_TOKEN"):
        raise CredentialsError(
            "CLAUDE_CODE_OAUTH_TOKEN is an inference-only token and cannot read usage: "
            "log in with `claude` (/login) so ai-budget can read the stored login"
        )
    raise CredentialsError(f"no Claude login found in {path}: log in with `claude` first")
