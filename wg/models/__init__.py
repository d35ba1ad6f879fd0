"""SQLModel tables and Enums: no queries live here."""

from wg.models.accounts import Invitation, LoginFailure, User, WebSession
from wg.models.audit import AuditEvent
from wg.models.base import UTCDateTime, utcnow
from wg.models.enums import AttributionMode, ConsensusRule, GroupState, Role
from wg.models.groups import Membership, Subgroup, SubgroupMember, WorkingGroup

__all__ = [
    "AttributionMode",
    "AuditEvent",
    "ConsensusRule",
    "GroupState",
    "Invitation",
    "LoginFailure",
    "Membership",
    "Role",
    "Subgroup",
    "SubgroupMember",
    "UTCDateTime",
    "User",
    "WebSession",
    "WorkingGroup",
    "utcnow",
]
