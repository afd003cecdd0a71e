"""Start-up validation: what must be right before anything is queued or sent.

``duebot check`` prints every finding and exits non-zero on any problem; ``run``,
``scheduler`` and ``worker`` run the same checks first and refuse to start on the first
problem with one line, so a bad channel credential is found before the first tick queues
a single message (not after, by a worker failing every send).

Checked: the settings that types alone cannot check (jurisdiction, region, zone,
language, verification method, public URL, intervals), the database (reachable, schema
current), the campaigns (all files valid, every template they name exists), the
templates (the linter, for the configured jurisdiction), and every configured channel:
built from its settings, then its credentials checked with the provider without sending
anything (SMTP: connect, EHLO, TLS, login; Twilio: fetch the account; Telegram:
``getMe``). The sandbox, standing in for unconfigured kinds, has nothing to check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.bootstrap import Container
from bot.services.ports import Channel, ChannelConfigError

#: how long one channel's credential check may take
VERIFY_TIMEOUT_SECONDS = 20.0

#: what each command checks
PLANNING = ("settings", "database", "campaigns", "templates", "channels")
SENDING = ("settings", "database", "channels")


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing checked: ``area`` (``settings``, ``channel sms``...), whether it is
    right, and what was found (never a secret)."""

    area: str
    ok: bool
    message: str

    def __str__(self) -> str:
        return f"{self.area}: {self.message}"


async def check(container: Container, areas: Iterable[str] = PLANNING) -> list[Finding]:
    """Every finding of the chosen ``areas``, in that order."""
    wanted = set(areas)
    findings: list[Finding] = []
    if "settings" in wanted:
        findings += settings_findings(container)
    if "database" in wanted:
        findings += await asyncio.to_thread(database_findings, container)
    if "campaigns" in wanted or "templates" in wanted:
        findings += await asyncio.to_thread(content_findings, container,
                                            "campaigns" in wanted, "templates" in wanted)
    if "channels" in wanted:
        findings += await channel_findings(container)
    return findings


def problems(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if not f.ok]


# ---------------------------------------------------------------------------- settings
def settings_findings(container: Container) -> list[Finding]:
    s = container.settings
    bad: list[str] = []
    from bot.policy.profiles import PROFILES

    if s.jurisdiction not in PROFILES:
        bad.append(f"DUEBOT_JURISDICTION must be one of {', '.join(sorted(PROFILES))}, "
                   f"got {s.jurisdiction!r}")
    import phonenumbers

    if s.default_region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        bad.append(f"DUEBOT_DEFAULT_REGION is not a region code (US, GB, CN...): "
                   f"{s.default_region!r}")
    try:
        ZoneInfo(s.default_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        bad.append(f"DUEBOT_DEFAULT_TIMEZONE is not an IANA time zone: {s.default_timezone!r}")
    from bot.conversations.template_lint import SHIPPED_LANGUAGES

    if s.default_language not in SHIPPED_LANGUAGES:
        bad.append(f"DUEBOT_DEFAULT_LANGUAGE must be one of {', '.join(SHIPPED_LANGUAGES)}, "
                   f"got {s.default_language!r}")
    if s.telegram_verification not in ("dob", "id_last4"):
        bad.append("DUEBOT_TELEGRAM_VERIFICATION must be dob or id_last4, got "
                   f"{s.telegram_verification!r}")
    url = urlsplit(s.public_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        bad.append(f"DUEBOT_PUBLIC_URL must be an http(s) URL, got {s.public_url!r}")
    if s.tick_minutes < 1:
        bad.append(f"DUEBOT_TICK_MINUTES must be at least 1, got {s.tick_minutes}")
    if not bad:
        return [Finding("settings", True, "valid")]
    return [Finding("settings", False, problem) for problem in bad]


# ---------------------------------------------------------------------------- database
def database_findings(container: Container) -> list[Finding]:
    try:
        current = container.schema_current()
    except Exception as exc:  # the message may carry the URL: name the setting only
        return [Finding("database", False, f"cannot reach the database "
                        f"({type(exc).__name__}; check DUEBOT_DATABASE_URL)")]
    if not current:
        return [Finding("database", False,
                        "the schema is missing or old: run `duebot db upgrade`")]
    return [Finding("database", True, "reachable, schema current")]


# ---------------------------------------------------------------------------- content
def content_findings(container: Container, campaigns: bool, templates: bool
                     ) -> list[Finding]:
    from bot.conversations.template_errors import TemplateError
    from storage.pressure_files import shipped_pressure_lexicon
    from storage.template_files import load_templates

    s = container.settings
    findings: list[Finding] = []
    try:
        store = load_templates(s.template_dir, strict=False)
    except (TemplateError, OSError) as exc:
        return [Finding("templates", False, f"cannot load the templates: {exc}")]
    if campaigns:
        findings += _campaign_findings(container, Path(s.campaign_dir), set(store.ids()))
    if templates:
        from bot.conversations.template_lint import (
            get_profile,
            lint_templates,
            sample_contexts,
        )

        try:
            profile = get_profile(s.jurisdiction)
        except Exception:  # reported with the settings
            profile = None
        if profile is not None:
            samples = sample_contexts(brand_name=s.brand_name, pay_url=s.pay_url,
                                      support_phone=s.support_phone,
                                      support_email=s.support_email)
            issues = lint_templates(store, profile, pressure=shipped_pressure_lexicon(),
                                    samples=samples)
            findings += [Finding("templates", False, str(i)) for i in issues] or [
                Finding("templates", True, f"{len(store)} templates, no issue "
                        f"({profile.name})")]
    return findings


def _campaign_findings(container: Container, directory: Path, templates: set[str]
                       ) -> list[Finding]:
    from bot.campaigns.parsing import CampaignError

    if not directory.is_dir():
        return [Finding("campaigns", False,
                        f"campaign directory {directory} does not exist (DUEBOT_CAMPAIGN_DIR)")]
    try:
        campaigns = container.load_campaigns(directory)
    except CampaignError as exc:
        return [Finding("campaigns", False, str(p)) for p in exc.problems]
    findings = []
    for campaign in campaigns.values():
        for step in campaign.steps:
            variants: list[Any] = list(step.variants) or [None]
            for variant in variants:
                name = step.template_for(variant)
                if name is not None and name not in templates:
                    findings.append(Finding(
                        "campaigns", False, f"{campaign.id}: step {step.id} names the "
                        f"template {name!r}, which does not exist"))
    enabled = sum(1 for c in campaigns.values() if c.enabled)
    return findings or [Finding("campaigns", True,
                                f"{len(campaigns)} campaigns ({enabled} enabled) in {directory}")]


# ---------------------------------------------------------------------------- channels
async def channel_findings(container: Container) -> list[Finding]:
    """Each kind's channel built and verified with its provider."""
    try:
        channels = container.channels
    except ChannelConfigError:
        return await _kind_by_kind(container)
    findings: list[Finding] = []
    for kind, channel in channels.items():
        area = f"channel {kind.value}"
        if container.sandbox_phone(kind) is not None:
            findings.append(Finding(area, True, "sandbox (no provider configured)"))
        else:
            findings.append(await _verify(area, channel))
    return findings


async def _kind_by_kind(container: Container) -> list[Finding]:
    """One kind is misconfigured: build each kind's plugin alone, so that every problem
    is reported (and the kinds that are right say so)."""
    from bot.domain.messages import ChannelKind

    values = container.settings.model_dump()
    findings = []
    for kind in ChannelKind:
        area = f"channel {kind.value}"
        plugins = [p for p in container.registry.plugins
                   if p.kind is kind and p.configured(values)]
        if not plugins:
            findings.append(Finding(area, True, "sandbox (no provider configured)"))
        elif len(plugins) > 1:
            findings.append(Finding(area, False, f"both {plugins[0].name} and "
                                    f"{plugins[1].name} are configured: configure one"))
        else:
            try:
                channel = plugins[0].build(values, container.clock)
            except ChannelConfigError as exc:
                findings.append(Finding(area, False, str(exc)))
            else:
                findings.append(await _verify(area, channel))
    return findings


async def _verify(area: str, channel: Channel) -> Finding:
    try:
        await asyncio.wait_for(channel.verify(), VERIFY_TIMEOUT_SECONDS)
    except ChannelConfigError as exc:
        return Finding(area, False, str(exc))
    except TimeoutError:
        return Finding(area, False, f"{channel.name}: no answer within "
                       f"{VERIFY_TIMEOUT_SECONDS:.0f} s")
    return Finding(area, True, f"{channel.name}: credentials accepted")
