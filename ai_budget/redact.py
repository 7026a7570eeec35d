"""The last line of defence for secrets: anything shaped like an Anthropic or GitHub token is masked."""

from __future__ import annotations

import re

_SECRET = re.compile(
    r"sk-ant-[A-Za-z0-9_-]{6,}"  # Anthropic OAuth, refresh and API keys
    r"|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"  # GitHub tokens
    r"|(?i:bearer)\s+[^\s'\"]{12,}"  # an Authorization header's value, whatever the token
)


def scrub(text: str) -> str:
    """`text` with every token-shaped part replaced by a marker."""
    return _SECRET.sub("[redacted]", text)
