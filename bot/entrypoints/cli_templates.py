"""``duebot templates``: lint the message templates and preview one.

``lint`` is what CI runs: every template, every language, against every jurisdiction
profile (or the ones given with ``--profile``); it exits 1 when there is any issue.
``preview`` renders one template for one language and channel with sample data, or
with a real case (``--case ACCOUNT``, needs the database).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bot.conversations.disclosure import Disclosure
from bot.domain.messages import ChannelKind

if TYPE_CHECKING:
    from bot.conversations.template_lint import LintProfile
    from bot.conversations.template_store import TemplateStore
    from bot.domain.case import Case
    from bot.settings import Settings

# the renderer, the linter and the template files are imported by the commands that use
# them, not by every `duebot` start (this module is mounted for `duebot --help` too)

app = typer.Typer(help="Message templates: lint them, preview one.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

#: finds a case by account id (None when there is no such case)
CaseLoader = Callable[[str], "Case | None"]


class CaseLookupUnavailable(RuntimeError):
    """The case cannot be looked up here (no database wiring): preview uses samples."""


class CaseLookupError(RuntimeError):
    """The database could not be asked (not reachable, schema missing)."""


def _load_case(account_id: str) -> Case | None:
    """The case from the database, through :func:`bot.bootstrap.bootstrap`."""
    try:
        from bot.bootstrap import bootstrap
    except ImportError as exc:
        raise CaseLookupUnavailable(
            "case lookup needs the database (bot.bootstrap not available)") from exc
    from sqlalchemy.exc import SQLAlchemyError

    try:
        container = bootstrap()
        with container.uow() as uow:
            case: Case | None = uow.cases.get(account_id)
            return case
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise CaseLookupError(f"case lookup failed ({reason}); is the schema created "
                              "(duebot db upgrade)?") from None


def _settings() -> Settings:
    from pydantic import ValidationError

    from bot.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        err.print(f"[red]configuration error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None


def _profiles(names: list[str] | None) -> list[LintProfile]:
    from bot.conversations.template_lint import get_profile, known_profiles

    if not names:
        return list(known_profiles().values())
    found = []
    for name in names:
        try:
            found.append(get_profile(name))
        except ValueError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from None
    return found


def _store(template_dir: Path | None, *, strict: bool) -> TemplateStore:
    from bot.conversations.template_errors import TemplateError
    from storage.template_files import load_templates

    try:
        return load_templates(template_dir, strict=strict)
    except TemplateError as exc:
        err.print(f"[red]template error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None


@app.command("lint")
def lint(
    profile: Annotated[list[str] | None, typer.Option(
        "--profile", "-p", help="jurisdiction profile (repeatable); default: all")] = None,
    template_dir: Annotated[Path | None, typer.Option(
        "--dir", help="override directory; default: DUEBOT_TEMPLATE_DIR")] = None,
    sms_segments: Annotated[int | None, typer.Option(
        min=1, help="SMS segment budget; default: the profile's, else 2")] = None,
) -> None:
    """Render every template with sample data in every language and check it.

    Exits 1 listing the issues: undefined variables, missing opt-out instruction (SMS,
    email and Telegram), an opt-out exemption outside the system templates, SMS over the
    segment budget, limited texts that reveal a debt, threats and pressure (pattern
    rules per language), missing mini-Miranda, syntax and sandbox violations. The same
    check runs at every start and reload.
    """
    from bot.conversations.template_lint import LintIssue, lint_templates, sample_contexts
    from storage.pressure_files import shipped_pressure_lexicon

    settings = _settings()
    store = _store(template_dir or settings.template_dir, strict=False)
    samples = sample_contexts(brand_name=settings.brand_name, pay_url=settings.pay_url,
                              support_phone=settings.support_phone,
                              support_email=settings.support_email)
    profiles = _profiles(profile)
    total: list[LintIssue] = []
    for prof in profiles:
        issues = lint_templates(store, prof, pressure=shipped_pressure_lexicon(),
                                samples=samples, sms_segment_budget=sms_segments)
        for issue in issues:
            out.print(f"[red]{escape(prof.name)}[/red] {escape(str(issue))}")
        total.extend(issues)
    names = ", ".join(p.name for p in profiles)
    summary = f"{len(store)} templates, {len(total)} issues ({names})"
    if total:
        err.print(f"[red]{escape(summary)}[/red]")
        raise typer.Exit(1)
    out.print(f"[green]{escape(summary)}[/green]")


def preview_text(
    template_id: str,
    lang: str | None,
    channel: ChannelKind,
    *,
    account_id: str | None,
    level: Disclosure | None,
    profile: LintProfile,
    settings: Settings,
    store: TemplateStore,
    loader: CaseLoader = _load_case,
) -> list[str]:
    """The preview as lines of plain text (every level the template has for this
    channel and language unless ``level`` picks one). Raises :class:`TemplateError`."""
    from bot.conversations.render_context import RenderContext
    from bot.conversations.template_errors import TemplateError
    from bot.conversations.template_lint import lint_template, sample_contexts
    from bot.conversations.template_renderer import TemplateRenderer
    from storage.pressure_files import shipped_pressure_lexicon

    lines: list[str] = []
    ctx: RenderContext | None = None
    if account_id is not None:
        try:
            case = loader(account_id)
        except CaseLookupUnavailable as exc:
            lines.append(f"note: {exc}; showing sample data")
        else:
            if case is None:
                raise TemplateError(f"no case with account id {account_id!r}")
            deep_link = (f"https://t.me/{settings.telegram_bot_username}?start=PREVIEW"
                         if settings.telegram_bot_username else None)
            ctx = RenderContext.from_case(case, settings.brand, disclosure=Disclosure.VERIFIED,
                                          deep_link=deep_link)
            lang = lang or case.language
            lines.append(f"case {case.account_id} ({ctx.locale}, {case.currency}); plan "
                         "options are not computed in a preview")
    lang = lang or settings.default_language
    if ctx is None:
        samples = sample_contexts(brand_name=settings.brand_name, pay_url=settings.pay_url,
                                  support_phone=settings.support_phone,
                                  support_email=settings.support_email)
        if lang not in samples:
            raise TemplateError(f"no sample data for language {lang!r} "
                                f"(have: {', '.join(sorted(samples))})")
        ctx = samples[lang][0]
        lines.append(f"sample data ({ctx.locale}, {ctx.currency})")
    ctx = replace(ctx, verify_method=settings.telegram_verification)

    spec = store.get(template_id)
    levels = [level] if level is not None else [
        d for d in Disclosure if spec.variant(d, channel, lang) is not None]
    if not levels:
        raise TemplateError(f"template {template_id} has no {channel.value} text in {lang!r}")
    renderer = TemplateRenderer(store, profile)
    for lv in levels:
        rendered = renderer.render(template_id, lang, channel, ctx, level=lv)
        head = f"== {template_id} · {channel.value} · {lang} · {lv.value} · {profile.name}"
        if rendered.sms is not None:
            head += (f" · SMS {rendered.sms.encoding}, {rendered.sms.segments} segment(s), "
                     f"{rendered.sms.units} units")
        lines.append(head)
        if rendered.subject is not None:
            lines.append(f"Subject: {rendered.subject}")
        lines.append(rendered.body)
    issues = [i for i in lint_template(spec, profile, pressure=shipped_pressure_lexicon())
              if i.lang == lang
              and i.channel == channel.value and (level is None or i.level == level.value)]
    lines.extend(f"lint: {i}" for i in issues)
    return lines


@app.command("preview")
def preview(
    template_id: Annotated[str, typer.Argument(help="template id, e.g. first_notice")],
    lang: Annotated[str | None, typer.Option(
        help="language (en, zh); default: the case's, else DUEBOT_DEFAULT_LANGUAGE")] = None,
    channel: Annotated[ChannelKind, typer.Option(help="sms, email or telegram")] = ChannelKind.SMS,
    case: Annotated[str | None, typer.Option(
        "--case", help="render for this account id (needs the database)")] = None,
    level: Annotated[Disclosure | None, typer.Option(
        help="limited or verified; default: every level the template has")] = None,
    profile: Annotated[str | None, typer.Option(
        help="jurisdiction profile; default: DUEBOT_JURISDICTION")] = None,
    template_dir: Annotated[Path | None, typer.Option(
        "--dir", help="override directory; default: DUEBOT_TEMPLATE_DIR")] = None,
) -> None:
    """Show one template rendered for a language and channel."""
    from bot.conversations.template_errors import TemplateError

    settings = _settings()
    store = _store(template_dir or settings.template_dir, strict=True)
    prof = _profiles([profile or settings.jurisdiction])[0]
    try:
        lines = preview_text(template_id, lang, channel, account_id=case, level=level,
                             profile=prof, settings=settings, store=store)
    except (TemplateError, CaseLookupError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    for line in lines:
        out.print(escape(line))


def register(main: typer.Typer) -> None:
    """Add the ``templates`` group to the main ``duebot`` app."""
    main.add_typer(app, name="templates")
