"""SQLModel tables and Enums: no queries live here."""

from wg.models.accounts import FailedLoginTally, Invitation, LoginFailure, User, WebSession
from wg.models.audit import AuditEvent
from wg.models.base import UTCDateTime, story_time, utcnow
from wg.models.drafting import Comment, Mention, Recommendation, Revision, Section
from wg.models.enums import AttributionMode, ConsensusRule, GroupState, Role
from wg.models.groups import Membership, Subgroup, SubgroupMember, WorkingGroup
from wg.models.presence import EditorHeartbeat
from wg.models.report import Export, ReportLogo, ReportSettings
from wg.models.review import Notification, Position, ReviewEvent
from wg.models.submissions import FormSubmission

__all__ = [
    "AttributionMode",
    "AuditEvent",
    "Comment",
    "EditorHeartbeat",
    "Export",
    "FailedLoginTally",
    "FormSubmission",
    "ConsensusRule",
    "GroupState",
    "Invitation",
    "LoginFailure",
    "Mention",
    "Notification",
    "Position",
    "Membership",
    "Recommendation",
    "ReportLogo",
    "ReportSettings",
    "ReviewEvent",
    "Revision",
    "Role",
    "Section",
    "Subgroup",
    "SubgroupMember",
    "UTCDateTime",
    "User",
    "WebSession",
    "WorkingGroup",
    "story_time",
    "utcnow",
]
