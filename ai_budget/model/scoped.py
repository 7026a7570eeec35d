"""The per-model weekly windows a usage answer gives in `limits[]` (kind `weekly_scoped`): which entries
they are and how each is labelled. Light (no pydantic): the model and the fast paths' plain reading of a
usage body both take them from here."""

from __future__ import annotations

from typing import Any


def scoped(limit: Any) -> tuple[str, dict[str, Any]] | None:
    """A weekly_scoped limit's label ("weekly NAME", or "weekly (scoped)" without a model's name) and its
    window's body; None for an entry of another kind or shape."""
    if not isinstance(limit, dict) or limit.get("kind") != "weekly_scoped":
        return None
    scope = limit.get("scope")
    model = scope.get("model") if isinstance(scope, dict) else None
    name = model.get("display_name") if isinstance(model, dict) else None
    label = f"weekly {name}" if isinstance(name, str) and name else "weekly (scoped)"
    return label, {"utilization": limit.get("percent"), "resets_at": limit.get("resets_at")}
