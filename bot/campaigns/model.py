"""Campaign definitions: what admins write in YAML (and later in the console).

The format is documented in ``campaigns/README.md`` with ``campaigns/example.yaml``.
Every model forbids unknown keys, so a typo is an error rather than a silently ignored
setting. Cross-field rules report the exact path of the offending value.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from bot.campaigns.risk import RiskBand
from bot.domain.case import Case
from bot.domain.messages import ChannelKind
from bot.domain.money import MoneyError, from_minor, to_minor
from bot.policy.decision import Action, Purpose
from bot.policy.profiles import PROFILES

Slug = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=64)]
Loc = tuple[str | int, ...]


def _invalid(problems: Sequence[tuple[Loc, str]], title: str) -> ValidationError:
    """A ValidationError whose locations point at the exact offending values."""
    return ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(
                type=PydanticCustomError("campaign", "{reason}", {"reason": reason}),
                loc=loc,
                input=None,
            )
            for loc, reason in problems
        ],
    )


class _Model(BaseModel):
    # the validation schema is built when a campaign is first parsed, not at import: a
    # command that looks at a case imports the model for its types only
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True,
                              defer_build=True)


class EventKind(StrEnum):
    PROMISE_DUE_TOMORROW = "promise_due_tomorrow"
    PROMISE_BROKEN = "promise_broken"
    NO_RESPONSE = "no_response"
    INSTALMENT_DUE = "instalment_due"
    #: the Reg F validation notice, right after the first message (profiles that
    #: require one: ``JurisdictionProfile.validation_notice_days``)
    VALIDATION_NOTICE = "validation_notice"

    @property
    def purpose(self) -> Purpose:
        if self in (EventKind.PROMISE_DUE_TOMORROW, EventKind.INSTALMENT_DUE):
            return Purpose.PROMISE_REMINDER
        return Purpose.DUNNING


class Trigger(_Model):
    """``{dpd: N}`` (days past due, negative before the due date) or
    ``{event: KIND}`` / ``{event: KIND, after_days: N}``.

    ``after_days`` is only meaningful for ``promise_broken`` (days after the broken
    promise's due date + 1, default 0) and ``no_response`` (days of silence after our last
    message; required, at least 1). Promise and instalment reminders go the day before.
    """

    dpd: StrictInt | None = Field(default=None, ge=-60, le=3650)
    event: EventKind | None = None
    after_days: StrictInt | None = Field(default=None, ge=0, le=365)

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.dpd is None) == (self.event is None):
            raise ValueError("a trigger needs exactly one of 'dpd' or 'event'")
        if self.dpd is not None and self.after_days is not None:
            raise _invalid([(("after_days",), "'after_days' only goes with an event trigger")],
                           "Trigger")
        if self.event is EventKind.NO_RESPONSE and not self.after_days:
            raise _invalid([(("after_days",), "no_response needs 'after_days' of at least 1")],
                           "Trigger")
        if self.event in (EventKind.PROMISE_DUE_TOMORROW, EventKind.INSTALMENT_DUE) \
                and self.after_days:
            raise _invalid(
                [(("after_days",), f"{self.event} always fires the day before the due date; "
                                   "remove 'after_days'")], "Trigger")
        if self.event is EventKind.VALIDATION_NOTICE and self.after_days:
            raise _invalid(
                [(("after_days",), "validation_notice goes as soon as the first message has "
                                   "gone; remove 'after_days'")], "Trigger")
        return self

    @property
    def days(self) -> int:
        return self.after_days or 0

    def __str__(self) -> str:
        if self.dpd is not None:
            return f"dpd {self.dpd}"
        return f"{self.event}" + (f" after {self.after_days} days" if self.after_days else "")


class Conditions(_Model):
    """Which cases a step applies to; an absent condition matches everything.

    Balances are major units written as strings (``"100.00"``) in ``currency``; they are
    converted to integer minor units at load. Bounds are inclusive.
    """

    segments: list[str] | None = Field(default=None, min_length=1)
    balance_min: str | int | None = None
    balance_max: str | int | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$")
    languages: list[str] | None = Field(default=None, min_length=1)
    risk_bands: list[RiskBand] | None = Field(default=None, min_length=1)
    products: list[str] | None = Field(default=None, min_length=1)

    _min_minor: int | None = PrivateAttr(default=None)
    _max_minor: int | None = PrivateAttr(default=None)

    @field_validator("balance_min", "balance_max", mode="before")
    @classmethod
    def _no_floats(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError(f"write amounts as strings, e.g. '{value:.2f}' (got a float)")
        return value

    @model_validator(mode="after")
    def _convert(self) -> Self:
        problems: list[tuple[Loc, str]] = []
        bounds = {"balance_min": self.balance_min, "balance_max": self.balance_max}
        if any(v is not None for v in bounds.values()) and self.currency is None:
            problems.append((("currency",), "balance bounds need a 'currency' (e.g. USD)"))
        minors: dict[str, int | None] = {"balance_min": None, "balance_max": None}
        if self.currency is not None:
            for name, value in bounds.items():
                if value is None:
                    continue
                try:
                    minors[name] = to_minor(str(value), self.currency)
                except MoneyError as exc:
                    problems.append(((name,), str(exc)))
                    continue
                if minors[name] < 0:  # type: ignore[operator]
                    problems.append(((name,), "a balance bound cannot be negative"))
        lo, hi = minors["balance_min"], minors["balance_max"]
        if lo is not None and hi is not None and lo > hi:
            problems.append((("balance_max",), "balance_max is below balance_min"))
        if problems:
            raise _invalid(problems, "Conditions")
        self._min_minor, self._max_minor = lo, hi
        return self

    @property
    def balance_min_minor(self) -> int | None:
        return self._min_minor

    @property
    def balance_max_minor(self) -> int | None:
        return self._max_minor

    def unmet(self, case: Case, risk_band: RiskBand | None) -> list[str]:
        """A description of every condition ``case`` fails (empty = the step applies)."""
        out: list[str] = []

        def folded(values: list[str]) -> set[str]:
            return {v.casefold() for v in values}

        if self.segments is not None and (case.segment or "").casefold() not in folded(
                self.segments):
            out.append(f"segment {case.segment!r} not in {self.segments}")
        if self.products is not None and (case.product or "").casefold() not in folded(
                self.products):
            out.append(f"product {case.product!r} not in {self.products}")
        if self.languages is not None:
            lang = case.language.casefold()
            wanted = folded(self.languages)
            if lang not in wanted and lang.split("-")[0] not in wanted:
                out.append(f"language {case.language!r} not in {self.languages}")
        if self.risk_bands is not None and risk_band not in self.risk_bands:
            out.append(f"risk band {risk_band} not in {[str(b) for b in self.risk_bands]}")
        # the public bounds first: the private minor amounts (set from them by the
        # validator) are read through pydantic's slow __getattr__
        if self.balance_min is not None or self.balance_max is not None:
            assert self.currency is not None
            if case.currency.upper() != self.currency.upper():
                out.append(f"balance bounds are in {self.currency.upper()}, "
                           f"the case is in {case.currency.upper()}")
            else:
                if self._min_minor is not None and case.balance_minor < self._min_minor:
                    out.append(f"balance {from_minor(case.balance_minor, case.currency)} "
                               f"below {Decimal(from_minor(self._min_minor, self.currency))}")
                if self._max_minor is not None and case.balance_minor > self._max_minor:
                    out.append(f"balance {from_minor(case.balance_minor, case.currency)} "
                               f"above {from_minor(self._max_minor, self.currency)}")
        return out

    @property
    def restrictive(self) -> bool:
        return any(
            v is not None
            for v in (self.segments, self.balance_min, self.balance_max, self.languages,
                      self.risk_bands, self.products)
        )


class Variant(_Model):
    """A champion/challenger arm: ``weight`` percent of accounts (weights add up to 100)."""

    id: Slug
    weight: StrictInt = Field(ge=0, le=100)
    template: Slug | None = None
    channels: list[ChannelKind] | None = Field(default=None, min_length=1)


class Step(_Model):
    id: Slug
    description: str = ""
    trigger: Trigger
    action: Action = Action.SEND
    channels: list[ChannelKind] = Field(default_factory=list)
    template: Slug | None = None
    conditions: Conditions = Field(default_factory=Conditions)
    variants: list[Variant] = Field(default_factory=list)

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        problems: list[tuple[Loc, str]] = []
        if self.action is Action.LEGAL_REVIEW:
            for name in ("channels", "template", "variants"):
                if getattr(self, name):
                    problems.append(((name,), f"a legal_review step sends nothing; "
                                              f"remove '{name}'"))
        else:
            if len(set(self.channels)) != len(self.channels):
                problems.append((("channels",), "a channel is listed twice"))
            if not self.variants:
                if not self.channels:
                    problems.append((("channels",), "a send step needs at least one channel"))
                if self.template is None:
                    problems.append((("template",), "a send step needs a template"))
            else:
                problems += self._variant_problems()
        if problems:
            raise _invalid(problems, "Step")
        return self

    def _variant_problems(self) -> list[tuple[Loc, str]]:
        problems: list[tuple[Loc, str]] = []
        seen: set[str] = set()
        for i, v in enumerate(self.variants):
            if v.id in seen:
                problems.append((("variants", i, "id"), f"variant id {v.id!r} is used twice"))
            seen.add(v.id)
            if v.template is None and self.template is None:
                problems.append((("variants", i, "template"),
                                 "needs a template (here or on the step)"))
            if v.channels is None and not self.channels:
                problems.append((("variants", i, "channels"),
                                 "needs channels (here or on the step)"))
            if v.channels is not None and len(set(v.channels)) != len(v.channels):
                problems.append((("variants", i, "channels"), "a channel is listed twice"))
        total = sum(v.weight for v in self.variants)
        if total != 100:
            problems.append((("variants",), f"variant weights must add up to 100 (got {total})"))
        return problems

    def template_for(self, variant: Variant | None) -> str | None:
        return (variant.template if variant and variant.template else None) or self.template

    def channels_for(self, variant: Variant | None) -> list[ChannelKind]:
        return list(variant.channels) if variant and variant.channels else list(self.channels)


#: the priority of a campaign that says none
DEFAULT_PRIORITY = 100


class Assignment(_Model):
    """Which cases a campaign works (``assign:`` in the file). Every rule given must
    match; a campaign without rules takes any case. When several active campaigns match
    a case, the lowest ``priority`` wins, then a campaign with rules before one without,
    then the campaign id (alphabetical)."""

    countries: list[Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")]] | None = Field(
        default=None, min_length=1)
    segments: list[str] | None = Field(default=None, min_length=1)
    products: list[str] | None = Field(default=None, min_length=1)
    risk_bands: list[RiskBand] | None = Field(default=None, min_length=1)
    languages: list[str] | None = Field(default=None, min_length=1)
    priority: StrictInt = Field(default=DEFAULT_PRIORITY, ge=0, le=10_000)

    @property
    def has_rules(self) -> bool:
        return any(v is not None for v in (self.countries, self.segments, self.products,
                                            self.risk_bands, self.languages))

    def unmet(self, case: Case) -> list[str]:
        """Every rule ``case`` fails (empty: the campaign takes it). The risk band is the
        imported override, else the stored band."""
        out: list[str] = []

        def folded(values: list[str]) -> set[str]:
            return {v.casefold() for v in values}

        if self.countries is not None and (case.country or "").casefold() not in folded(
                self.countries):
            out.append(f"country {case.country!r} not in {self.countries}")
        if self.segments is not None and (case.segment or "").casefold() not in folded(
                self.segments):
            out.append(f"segment {case.segment!r} not in {self.segments}")
        if self.products is not None and (case.product or "").casefold() not in folded(
                self.products):
            out.append(f"product {case.product!r} not in {self.products}")
        if self.languages is not None:
            lang = case.language.casefold()
            wanted = folded(self.languages)
            if lang not in wanted and lang.split("-")[0] not in wanted:
                out.append(f"language {case.language!r} not in {self.languages}")
        if self.risk_bands is not None:
            band = case.risk_band_override or case.risk_band
            if band not in {str(b) for b in self.risk_bands}:
                out.append(f"risk band {band!r} not in {[str(b) for b in self.risk_bands]}")
        return out

    def describe(self) -> str:
        rules = [f"{name} {', '.join(str(v) for v in values)}"
                 for name, values in (("country", self.countries), ("segment", self.segments),
                                      ("product", self.products),
                                      ("risk band", self.risk_bands),
                                      ("language", self.languages)) if values is not None]
        return (" and ".join(rules) if rules else "any case") + f" (priority {self.priority})"


class Campaign(_Model):
    id: Slug
    name: str = Field(min_length=1)
    description: str = ""
    profile: str
    enabled: bool = True
    assign: Assignment = Field(default_factory=Assignment)
    event_catch_up_days: StrictInt = Field(default=3, ge=0, le=30)
    #: after a provider refused a step's message for good (an opt-out such as Twilio
    #: 21610, a block), send that step on its next channel; off by default: the customer
    #: has just told us to stop, and the next step still comes
    fallback_after_refusal: bool = False
    steps: list[Step] = Field(min_length=1)

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        if value not in PROFILES:
            close = difflib.get_close_matches(value, list(PROFILES), n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown jurisdiction profile {value!r}{hint} "
                             f"(known profiles: {', '.join(sorted(PROFILES))})")
        return value

    @model_validator(mode="after")
    def _steps_coherent(self) -> Self:
        problems: list[tuple[Loc, str]] = []
        ids: dict[str, int] = {}
        unconditional: dict[tuple[Any, ...], int] = {}
        for i, step in enumerate(self.steps):
            if step.id in ids:
                problems.append((("steps", i, "id"),
                                 f"step id {step.id!r} is already used by steps[{ids[step.id]}]"))
            ids.setdefault(step.id, i)
            key = (step.trigger.dpd, step.trigger.event, step.trigger.days)
            if key in unconditional:
                j = unconditional[key]
                problems.append((("steps", i, "trigger"),
                                 f"never runs: steps[{j}] ({self.steps[j].id}) has the same "
                                 "trigger and no conditions"))
            elif not step.conditions.restrictive:
                unconditional[key] = i
        if problems:
            raise _invalid(problems, "Campaign")
        return self

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(f"campaign {self.id} has no step {step_id!r}")

    @property
    def dpd_steps(self) -> list[Step]:
        return [s for s in self.steps if s.trigger.dpd is not None]

    def event_steps(self, kind: EventKind) -> list[Step]:
        return [s for s in self.steps if s.trigger.event is kind]
