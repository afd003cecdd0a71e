"""Templates for admins: list them, read one's file, preview an edited text per language,
channel and disclosure level with the linter's findings, and save it.

A preview renders the edited text with the linter's sample data (the brand's own values)
and lists every finding of the check the application uses (every profile in use: the
deployment's and each campaign's) plus the profile previewed; nothing is kept. Saving
runs the same check through the template store (a text with a finding is refused,
listing them) and then writes the file to the override directory
(``DUEBOT_TEMPLATE_DIR``), where other processes read it at their next start or reload.
Managing templates needs the ``admin`` role; every save is in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bot.conversations.disclosure import Disclosure
from bot.conversations.template_compiler import compile_problems
from bot.conversations.template_errors import TemplateError
from bot.conversations.template_lint import LintProfile, lint_template, sample_contexts
from bot.conversations.template_renderer import TemplateRenderer
from bot.conversations.template_spec import TemplateSpec, parse_template
from bot.conversations.template_store import TemplateStore
from bot.domain.brand import Brand
from bot.domain.messages import ChannelKind
from bot.policy.pressure import PressureLexicon
from bot.services.content import Content
from bot.services.ports import ContentFiles, ContentNotWritable, UnitOfWorkFactory
from bot.services.roles import Actor, Permission, authorize
from bot.services.users import audit

#: the largest template text accepted from an editor
MAX_TEMPLATE_CHARS = 100_000


class TemplateDeskError(ValueError):
    """A template request that cannot be done; ``findings`` lists every problem."""

    def __init__(self, message: str, findings: list[str] | None = None) -> None:
        super().__init__(message)
        self.findings = findings or []


@dataclass(frozen=True, slots=True)
class TemplateSummary:
    id: str
    description: str
    level: str
    channels: tuple[str, ...]
    languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PreviewText:
    """One rendered text of a preview."""

    level: str
    body: str
    subject: str | None = None
    sms: str | None = None  # "GSM-7, 1 segment(s), 130 units"


@dataclass(frozen=True, slots=True)
class TemplatePreview:
    """What an edited text renders to, and what the linter finds in it."""

    template_id: str
    lang: str
    channel: str
    profile: str
    texts: list[PreviewText] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    #: why nothing could be rendered (the text does not parse, the language or channel
    #: has no text), else None
    error: str | None = None

    @property
    def clean(self) -> bool:
        return self.error is None and not self.findings


class TemplateDesk:
    """Templates over the content in use (see the module docs)."""

    def __init__(self, content: Content, files: ContentFiles, brand: Brand,
                 pressure: PressureLexicon, profile: Callable[[str], LintProfile],
                 default_profile: str, uow_factory: UnitOfWorkFactory) -> None:
        self.content = content
        self.files = files
        self.brand = brand
        self.pressure = pressure
        self.profile = profile
        self.default_profile = default_profile
        self.uow_factory = uow_factory

    # ------------------------------------------------------------------ reading
    def summaries(self, actor: Actor) -> list[TemplateSummary]:
        authorize(actor, Permission.MANAGE_TEMPLATES)
        return [TemplateSummary(
            spec.id, spec.description, spec.level.value,
            tuple(sorted({ch.value for (_, ch, _) in spec.variants})),
            tuple(sorted(spec.languages()))) for spec in self.content.templates]

    def source(self, actor: Actor, template_id: str) -> str:
        """The file of the template in use."""
        authorize(actor, Permission.MANAGE_TEMPLATES)
        if template_id not in self.content.templates:
            raise TemplateDeskError(f"no template {template_id!r}")
        text = self.files.template_text(template_id)
        if text is None:
            raise TemplateDeskError(f"the file of template {template_id!r} cannot be read")
        return text

    def profiles_in_use(self) -> tuple[str, ...]:
        return self.content.check.profile_names

    # ------------------------------------------------------------------ checking
    def _parse(self, template_id: str, text: str) -> TemplateSpec:
        if len(text) > MAX_TEMPLATE_CHARS:
            raise TemplateDeskError(f"the text is longer than {MAX_TEMPLATE_CHARS} characters")
        try:
            spec = parse_template(text, source=f"{template_id}.yaml", expected_id=template_id)
        except TemplateError as exc:
            raise TemplateDeskError(str(exc), [str(exc)]) from None
        problems = compile_problems(spec)
        if problems:
            raise TemplateDeskError("the template does not compile",
                                    [str(p) for p in problems])
        return spec

    def findings(self, spec: TemplateSpec, profile: LintProfile | None = None) -> list[str]:
        """Every finding of the application's check, and of ``profile`` when it is not
        in use."""
        issues = list(self.content.check.issues(spec))
        if profile is not None and profile.name not in self.content.check.profile_names:
            issues += lint_template(spec, profile, pressure=self.pressure,
                                    samples=self._samples())
        return list(dict.fromkeys(f"{i.profile}: {i}" if i.profile else str(i)
                                  for i in issues))

    def _samples(self) -> dict[str, list]:  # type: ignore[type-arg]
        b = self.brand
        return sample_contexts(brand_name=b.brand_name, pay_url=b.pay_url,
                               support_phone=b.support_phone, support_email=b.support_email)

    def preview(self, actor: Actor, template_id: str, text: str, *, lang: str,
                channel: ChannelKind, level: Disclosure | None = None,
                profile: str | None = None) -> TemplatePreview:
        """Render ``text`` (an edit of ``template_id``, not kept) for ``lang`` and
        ``channel`` at ``level`` (default: every level it has), with sample data."""
        authorize(actor, Permission.MANAGE_TEMPLATES)
        name = profile or self.default_profile
        try:
            prof = self.profile(name)
        except (KeyError, ValueError):
            raise TemplateDeskError(f"unknown profile {name!r}") from None
        out = TemplatePreview(template_id, lang, channel.value, prof.name)
        try:
            spec = self._parse(template_id, text)
        except TemplateDeskError as exc:
            return replace(out, error=str(exc), findings=exc.findings)
        findings = self.findings(spec, prof)
        samples = self._samples()
        if lang not in samples:
            return replace(out, findings=findings,
                           error=f"no sample data for language {lang!r} "
                                 f"(have: {', '.join(sorted(samples))})")
        ctx = replace(samples[lang][0], verify_method=self.brand.verify_method)
        levels = [level] if level is not None else [
            d for d in Disclosure if spec.variant(d, channel, lang) is not None]
        if not levels or spec.variant(levels[0], channel, lang) is None:
            return replace(out, findings=findings,
                           error=f"no {channel.value} text in {lang!r}"
                                 + (f" at the {level.value} level" if level else ""))
        renderer = TemplateRenderer(TemplateStore([spec]), prof)  # type: ignore[arg-type]
        texts: list[PreviewText] = []
        for lv in levels:
            try:
                r = renderer.render(template_id, lang, channel, ctx, level=lv)
            except TemplateError as exc:
                return replace(out, texts=texts, findings=findings, error=str(exc))
            sms = (f"{r.sms.encoding}, {r.sms.segments} segment(s), {r.sms.units} units"
                   if r.sms is not None else None)
            texts.append(PreviewText(lv.value, r.body, r.subject, sms))
        return replace(out, texts=texts, findings=findings)

    # ------------------------------------------------------------------ saving
    def save(self, actor: Actor, template_id: str, text: str) -> str:
        """Check ``text`` as the application checks every template and, when it passes,
        use it and write it to the override directory; returns the file written."""
        authorize(actor, Permission.MANAGE_TEMPLATES)
        if template_id not in self.content.templates:
            raise TemplateDeskError(f"no template {template_id!r}")
        spec = self._parse(template_id, text)
        findings = self.findings(spec)
        if findings:
            raise TemplateDeskError(f"{len(findings)} finding(s): nothing was saved",
                                    findings)
        try:
            where = self.files.save_template_text(template_id, text)
        except ContentNotWritable as exc:
            raise TemplateDeskError(str(exc)) from None
        try:
            self.content.templates.put(spec)
        except TemplateError as exc:  # the check passed above; a race with a reload
            raise TemplateDeskError(str(exc), [str(exc)]) from None
        with self.uow_factory() as uow:
            audit(uow, actor, "template.save", template_id, file=where)
            uow.commit()
        return where
