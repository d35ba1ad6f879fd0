"""Writing the append-only audit log (reading it with filters comes with the review feature)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from wg.models import AuditEvent


def record(
    db: Session,
    action: str,
    *,
    actor_id: int | None,
    group_id: int | None = None,
    object_type: str = "",
    object_id: object = "",
    ip: str = "",
    **detail: Any,
) -> None:
    """Append one audit event (the caller commits, in the same transaction as the change it records)."""
    db.add(AuditEvent(action=action, actor_id=actor_id, group_id=group_id, object_type=object_type,
                      object_id=str(object_id), ip=ip, detail=detail))
