"""Every SQLModel table (``storage/tables/``), imported: what needs the whole schema
(the migrations' environment, the tests' truncation) imports this module; the
repositories import the modules of the tables they use, so a command defines only those."""

from __future__ import annotations

from storage.tables.campaigns import CampaignVersionRow
from storage.tables.cases import (
    CaseRow,
    ContactPointRow,
    CustomerRow,
    DisputeRow,
    PaymentRow,
    PromiseRow,
)
from storage.tables.chat import ChatLinkRow, ChatLinkTokenRow, ChatLockRow, SandboxMessageRow
from storage.tables.messages import (
    CaseEventRow,
    ContactDecisionRow,
    ConversationRow,
    InboundEventRow,
    MessageRow,
)
from storage.tables.operations import JobRunRow, RateBucketRow
from storage.tables.users import AuditRow, LoginAttemptRow, UserRow, UserSessionRow
from storage.tables.work import WorkItemRow

__all__ = [
    "AuditRow",
    "CampaignVersionRow",
    "CaseEventRow",
    "CaseRow",
    "ChatLinkRow",
    "ChatLinkTokenRow",
    "ChatLockRow",
    "ContactDecisionRow",
    "ContactPointRow",
    "ConversationRow",
    "CustomerRow",
    "DisputeRow",
    "InboundEventRow",
    "JobRunRow",
    "LoginAttemptRow",
    "MessageRow",
    "PaymentRow",
    "PromiseRow",
    "RateBucketRow",
    "SandboxMessageRow",
    "UserRow",
    "UserSessionRow",
    "WorkItemRow",
]
