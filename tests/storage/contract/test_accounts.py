"""Contract: users, console sessions, failed logins, the audit trail, campaign versions and
a case's open queue items, on every backend."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.domain.clock import FixedClock
from bot.domain.work_items import WorkItemKind, work_item
from bot.services.ports import AuditRecord
from tests.storage.contract.test_unit_of_work import add
from tests.world import local_today, make_case


def test_users_are_listed_changed_and_found_by_id(backend: Any, clock: FixedClock) -> None:
    with backend.uow() as uow:
        bob = uow.users.add("bob", "collector", "h1", "t1", clock.now())
        uow.users.add("ann", "admin", "h2", "t2", clock.now())
        uow.commit()
    with backend.uow() as uow:
        uow.users.set_role("bob", "supervisor")
        uow.users.set_active("bob", False)
        uow.users.set_password_hash("bob", "h3")
        uow.users.set_token_hash("bob", None)
        uow.commit()
    with backend.uow() as uow:
        assert [u.username for u in uow.users.all()] == ["ann", "bob"]
        found = uow.users.get_by_id(bob)
        assert found is not None
        assert (found.role, found.active, found.password_hash, found.token_hash) == (
            "supervisor", False, "h3", None)
        assert uow.users.by_token_hash("t1") is None
        assert uow.users.get_by_id(9999) is None


def test_sessions_are_found_revoked_one_or_all(backend: Any, clock: FixedClock) -> None:
    now = clock.now()
    with backend.uow() as uow:
        uid = uow.users.add("ann", "admin", "h", "t", now)
        uow.sessions.add(uid, "s1", now, now + timedelta(hours=1))
        uow.sessions.add(uid, "s2", now, now + timedelta(hours=1))
        uow.sessions.add(uid, "s3", now, now + timedelta(hours=1))
        uow.commit()
    with backend.uow() as uow:
        s1 = uow.sessions.get("s1")
        assert s1 is not None and (s1.user_id, s1.expires_at, s1.revoked_at) == (
            uid, now + timedelta(hours=1), None)
        assert uow.sessions.revoke("s1", now) and not uow.sessions.revoke("s1", now)
        assert not uow.sessions.revoke("nope", now)
        assert uow.sessions.revoke_user(uid, now) == 2
        uow.commit()
    with backend.uow() as uow:
        assert all(uow.sessions.get(k).revoked_at == now for k in ("s1", "s2", "s3"))
        assert uow.sessions.get("nope") is None


def test_failed_logins_are_counted_in_a_window_and_cleared(backend: Any,
                                                           clock: FixedClock) -> None:
    now = clock.now()
    with backend.uow() as uow:
        uow.login_attempts.add_failure("user:ann", now - timedelta(minutes=30))
        uow.login_attempts.add_failure("user:ann", now)
        uow.login_attempts.add_failure("client:1.2.3.4", now)
        uow.commit()
    with backend.uow() as uow:
        assert uow.login_attempts.failures_since("user:ann", now - timedelta(minutes=15)) == 1
        assert uow.login_attempts.failures_since("user:ann", now - timedelta(hours=1)) == 2
        uow.login_attempts.clear("user:ann")
        uow.commit()
    with backend.uow() as uow:
        assert uow.login_attempts.failures_since("user:ann", now - timedelta(hours=1)) == 0
        assert uow.login_attempts.failures_since("client:1.2.3.4", now) == 1


def test_the_audit_trail_is_newest_first_and_filtered(backend: Any, clock: FixedClock) -> None:
    now = clock.now()
    with backend.uow() as uow:
        uow.audit.add(AuditRecord(now, "cli:root", "user.add", "ann", {"role": "admin"}))
        uow.audit.add(AuditRecord(now, "collector:ann", "campaign.approve", "c v1"))
        uow.audit.add(AuditRecord(now, "collector:ann", "case.reveal", "ACC-1",
                                  {"reason": "call back"}))
        uow.commit()
    with backend.uow() as uow:
        assert [r.action for r in uow.audit.recent()] == [
            "case.reveal", "campaign.approve", "user.add"]
        [first] = uow.audit.recent(action="user.add")
        assert (first.actor, first.target, first.detail, first.at) == (
            "cli:root", "ann", {"role": "admin"}, now)
        assert len(uow.audit.recent(actor="collector:")) == 2
        assert len(uow.audit.recent(limit=1)) == 1


def test_campaign_versions_are_numbered_and_move_through_their_statuses(
        backend: Any, clock: FixedClock) -> None:
    now = clock.now()
    with backend.uow() as uow:
        v1 = uow.campaigns.add("retail", "a.yaml", "id: retail\n", "cli:root", now)
        v2 = uow.campaigns.add("retail", "a.yaml", "id: retail # 2\n", "cli:root", now)
        other = uow.campaigns.add("cn", "b.yaml", "id: cn\n", "collector:ann", now)
        uow.commit()
    assert (v1.version, v2.version, other.version) == (1, 2, 1)
    later = now + timedelta(hours=1)
    with backend.uow() as uow:
        uow.campaigns.set_status(v1.id, "approved", "collector:bob", later)
        uow.campaigns.set_status(v1.id, "active", "collector:bob", later)
        uow.campaigns.set_status(v1.id, "paused", "cli:root", later)
        uow.campaigns.set_status(v2.id, "retired", "cli:root", later)
        uow.commit()
    with backend.uow() as uow:
        assert [(v.campaign_id, v.version) for v in uow.campaigns.versions()] == [
            ("cn", 1), ("retail", 1), ("retail", 2)]
        got = uow.campaigns.get("retail", 1)
        assert got is not None
        assert (got.status, got.body, got.source, got.created_by) == (
            "paused", "id: retail\n", "a.yaml", "cli:root")
        assert (got.approved_by, got.approved_at, got.activated_by, got.paused_by,
                got.paused_at) == ("collector:bob", later, "collector:bob", "cli:root", later)
        assert [v.status for v in uow.campaigns.versions("retail")] == ["paused", "retired"]
        assert uow.campaigns.get("retail", 3) is None


def test_a_cases_open_queue_items(backend: Any, clock: FixedClock) -> None:
    today = local_today(clock)
    a, b = add(backend, make_case("A", 3, today), make_case("B", 3, today,
                                                            phone="+14155550999"))
    with backend.uow() as uow:
        first = uow.work_items.add(work_item(WorkItemKind.CALLBACK, clock.now(), case_id=a.id))
        uow.work_items.add(work_item(WorkItemKind.LEGAL, clock.now(), case_id=a.id))
        uow.work_items.add(work_item(WorkItemKind.QUESTION, clock.now(), case_id=b.id))
        uow.work_items.close(first, "ann", clock.now())
        uow.commit()
    with backend.uow() as uow:
        assert [i.kind for i in uow.work_items.open_for_case(a.id)] == [WorkItemKind.LEGAL]
        assert [i.account_id for i in uow.work_items.open_for_case(b.id)] == ["B"]
