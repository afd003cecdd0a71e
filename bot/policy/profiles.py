"""Jurisdiction profiles: the compliance defaults each rule family reads.

Three profiles ship; every default below is also in ``campaigns/README.md``
("Compliance defaults"). Where a regulation gives no number (message frequency under
Reg F, FCA "not excessive"), the value is a conservative house default, marked (house).

=========================  ===================  ===================  ====================
setting                    US-RegF              UK-FCA               CN
=========================  ===================  ===================  ====================
contact window (local)     08:00–21:00          08:00–21:00          08:00–22:00
  (start inclusive, end exclusive: a message at 21:00:00 is refused so none arrives late)
public holidays            US (holidays pkg)    GB (holidays pkg)    CN (holidays pkg)
SMS cap                    1/1 day, 3/7 days    1/1 day, 3/7 days    1/1 day, 3/7 days
email cap                  1/1 day, 4/7 days    1/1 day, 3/7 days    1/1 day, 3/7 days
telegram cap               1/1 day, 4/7 days    1/1 day, 3/7 days    1/1 day, 3/7 days
all channels cap           7/7 days             7/7 days             2/1 day, 7/7 days
max promise horizon        60 days              60 days              30 days
min instalment             10 % of balance      1 % of balance       10 % of balance
max instalments            12                   24                   12
mini-Miranda required      yes                  no                   no
reply grace (see below)    30 min               30 min               30 min
records kept at least      3 years              the bank's policy    5 years
  (after the last collection activity; ``duebot retention purge`` never goes below it)
=========================  ===================  ===================  ====================

* Caps are rolling windows ending now: "1/1 day" = at most one message in any 24 hours.
  US all-channels 7 in 7 days mirrors Reg F's call-frequency presumption (house for
  messages); UK caps are house defaults for FCA CONC 7.9 "not excessive"; the CN daily
  total follows the industry self-discipline convention of limited daily contact (house).
* UK accepts token payments (CONC 7.3), hence the 1 % minimum instalment.
* Reply grace: a reply to the customer's own message within this time of it is not held
  back by the contact window (Reg F comment 6(b)(1)(i): the consumer chose the time).
* Opt-out instructions are per language (``en``, ``es``, ``zh``) and exposed for the
  template linter (``opt_out_text``). What no message may say (threats, pressure,
  insults) is the same for every profile: pattern files per language, see
  :mod:`bot.policy.pressure`.
* Caps count per person (every account of the customer: FCA CONC 7.9.4R, CN daily
  limits per person) and per address (``address_caps``: every customer written to at
  one phone, email or chat; 1 a day everywhere, so a number two debtors share never
  hears about both on one day: Reg F 1006.6(d), CN rules on third parties).
* Time-barred debts (past the limitation period): no legal step, no message that
  mentions suing, and the profile's disclosure in every message that shows the debt
  (``time_barred_text``; Reg F 1006.26(b), FCA CONC 7.14.3R, CN 诉讼时效).
* Validation notice (US: Reg F 1006.34): sent with, or within ``validation_notice_days``
  of, the first message; the validation period ends ``validation_period_days`` after the
  consumer is assumed to receive it (``validation_receipt_days`` business days after it
  is sent, 1006.34(b)(5)); meanwhile nothing overshadows it (1006.38(b)): no legal
  review and no step with one of ``validation_quiet_templates``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from types import MappingProxyType

from bot.domain.messages import ChannelKind


class UnknownProfileError(ValueError):
    """A jurisdiction profile name that does not exist."""


@dataclass(frozen=True, slots=True)
class FrequencyCap:
    """At most ``max_count`` messages in any rolling ``window``."""

    max_count: int
    window: timedelta

    def __post_init__(self) -> None:
        if self.max_count < 0:
            raise ValueError("a frequency cap cannot be negative")
        if self.window <= timedelta(0):
            raise ValueError("a frequency window must be positive")

    @property
    def span(self) -> str:
        days = self.window / timedelta(days=1)
        return f"{days:g} day{'s' if days != 1 else ''}" if days >= 1 else str(self.window)

    def __str__(self) -> str:
        return f"{self.max_count} per {self.span}"


DAY = timedelta(days=1)
WEEK = timedelta(days=7)


def _caps(*pairs: tuple[int, timedelta]) -> tuple[FrequencyCap, ...]:
    return tuple(FrequencyCap(n, w) for n, w in pairs)


def _frozen(mapping: dict) -> Mapping:  # type: ignore[type-arg]
    return MappingProxyType(dict(mapping))


_OPT_OUT_EN = {
    ChannelKind.SMS: "Reply STOP to opt out.",
    ChannelKind.EMAIL: "To stop these emails, use the unsubscribe link below.",
    ChannelKind.TELEGRAM: "Send /stop to stop these messages.",
}
_OPT_OUT_ES = {
    ChannelKind.SMS: "Responda STOP para darse de baja.",
    ChannelKind.EMAIL: "Para dejar de recibir estos correos, use el enlace de baja.",
    ChannelKind.TELEGRAM: "Envíe /stop para dejar de recibir estos mensajes.",
}
_OPT_OUT_ZH = {
    ChannelKind.SMS: "回复TD退订",
    ChannelKind.EMAIL: "如需退订，请点击下方退订链接。",
    ChannelKind.TELEGRAM: "发送 /stop 退订",
}

#: the time-barred disclosure shown with a debt's detail (US: the CFPB's model wording)
_TIME_BARRED = {
    "US-RegF": {
        "en": "The law limits how long you can be sued on a debt. Because of the age of your "
              "debt, we will not sue you for it.",
        "zh": "法律对债务诉讼的期限有限制。由于您的债务已超过该期限，我们不会就此起诉您。",
    },
    "UK-FCA": {
        "en": "This debt is statute-barred: we will not take court action to recover it.",
        "zh": "此债务已超过诉讼时效：我们不会通过法院追讨。",
    },
    "CN": {
        "en": "This debt is past its limitation period: we will not take legal action over it.",
        "zh": "此债务已超过诉讼时效，我们不会就此提起诉讼。",
    },
}

_MINI_MIRANDA = {
    "en": "This is a communication from a debt collector. This is an attempt to collect a "
          "debt and any information obtained will be used for that purpose.",
    "zh": "这是一封来自债务催收方的通知。本通知旨在催收债务，我们获得的任何信息都将用于此目的。",
    "es": "Esta es una comunicación de un cobrador de deudas. Es un intento de cobrar una "
          "deuda y cualquier información obtenida se utilizará para ese fin.",
}


@dataclass(frozen=True, slots=True)
class JurisdictionProfile:
    """All compliance defaults of one jurisdiction (see the module docstring)."""

    name: str
    description: str
    window_start: time
    window_end: time  # exclusive
    holiday_country: str  # ISO code for the ``holidays`` package
    channel_caps: Mapping[ChannelKind, tuple[FrequencyCap, ...]]
    total_caps: tuple[FrequencyCap, ...]
    max_promise_horizon_days: int
    min_instalment_percent: int
    max_instalments: int
    requires_mini_miranda: bool
    mini_miranda: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    opt_out_instructions: Mapping[str, Mapping[ChannelKind, str]] = field(
        default_factory=lambda: _frozen({})
    )
    reply_grace: timedelta = timedelta(minutes=30)
    #: years a closed case's records are kept after the last collection activity at least
    #: (Reg F 1006.100: 3; CN: 5); None: no legal number, the bank's policy decides (UK)
    retention_min_years: int | None = None
    #: caps on one address, whoever the messages were for (see the module docstring)
    address_caps: tuple[FrequencyCap, ...] = (FrequencyCap(1, timedelta(days=1)),)
    #: the disclosure a message showing a time-barred debt carries, per language
    time_barred_disclosure: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    #: Reg F validation notice: days after the first message it may come (None: no notice)
    validation_notice_days: int | None = None
    validation_receipt_days: int = 5  # business days until it is assumed received
    validation_period_days: int = 30  # after receipt
    #: templates that press for action, kept back during the validation period
    validation_quiet_templates: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.window_start >= self.window_end:
            raise ValueError(f"{self.name}: contact window must start before it ends")

    def caps_for(self, channel: ChannelKind) -> tuple[FrequencyCap, ...]:
        return tuple(self.channel_caps.get(channel, ()))

    def opt_out_text(self, language: str, channel: ChannelKind) -> str:
        """The opt-out instruction for a language (falls back to English)."""
        lang = language.split("-")[0].lower()
        texts = self.opt_out_instructions.get(lang) or self.opt_out_instructions["en"]
        return texts[channel]

    def time_barred_text(self, language: str) -> str:
        """The time-barred disclosure in ``language`` (falls back to English)."""
        lang = language.split("-")[0].lower()
        return self.time_barred_disclosure.get(lang) or self.time_barred_disclosure.get(
            "en", "")

    def mini_miranda_text(self, language: str) -> str | None:
        if not self.requires_mini_miranda:
            return None
        lang = language.split("-")[0].lower()
        return self.mini_miranda.get(lang) or self.mini_miranda.get("en")


_OPT_OUTS = _frozen({"en": _frozen(_OPT_OUT_EN), "es": _frozen(_OPT_OUT_ES),
                     "zh": _frozen(_OPT_OUT_ZH)})

US_REGF = JurisdictionProfile(
    name="US-RegF",
    description="United States, FDCPA / CFPB Regulation F",
    window_start=time(8, 0),
    window_end=time(21, 0),
    holiday_country="US",
    channel_caps=_frozen({
        ChannelKind.SMS: _caps((1, DAY), (3, WEEK)),
        ChannelKind.EMAIL: _caps((1, DAY), (4, WEEK)),
        ChannelKind.TELEGRAM: _caps((1, DAY), (4, WEEK)),
    }),
    total_caps=_caps((7, WEEK)),
    max_promise_horizon_days=60,
    min_instalment_percent=10,
    max_instalments=12,
    requires_mini_miranda=True,
    mini_miranda=_frozen(_MINI_MIRANDA),
    opt_out_instructions=_OPT_OUTS,
    retention_min_years=3,
    time_barred_disclosure=_frozen(_TIME_BARRED["US-RegF"]),
    validation_notice_days=5,
    validation_quiet_templates=frozenset({"final_notice", "pre_legal"}),
)

UK_FCA = JurisdictionProfile(
    name="UK-FCA",
    description="United Kingdom, FCA Consumer Credit sourcebook (CONC 7)",
    window_start=time(8, 0),
    window_end=time(21, 0),
    holiday_country="GB",
    channel_caps=_frozen({
        ChannelKind.SMS: _caps((1, DAY), (3, WEEK)),
        ChannelKind.EMAIL: _caps((1, DAY), (3, WEEK)),
        ChannelKind.TELEGRAM: _caps((1, DAY), (3, WEEK)),
    }),
    total_caps=_caps((7, WEEK)),
    max_promise_horizon_days=60,
    min_instalment_percent=1,
    max_instalments=24,
    requires_mini_miranda=False,
    opt_out_instructions=_OPT_OUTS,
    time_barred_disclosure=_frozen(_TIME_BARRED["UK-FCA"]),
)

CN = JurisdictionProfile(
    name="CN",
    description="China, internet-finance collection self-discipline conventions",
    window_start=time(8, 0),
    window_end=time(22, 0),
    holiday_country="CN",
    channel_caps=_frozen({
        ChannelKind.SMS: _caps((1, DAY), (3, WEEK)),
        ChannelKind.EMAIL: _caps((1, DAY), (3, WEEK)),
        ChannelKind.TELEGRAM: _caps((1, DAY), (3, WEEK)),
    }),
    total_caps=_caps((2, DAY), (7, WEEK)),
    max_promise_horizon_days=30,
    min_instalment_percent=10,
    max_instalments=12,
    requires_mini_miranda=False,
    opt_out_instructions=_OPT_OUTS,
    retention_min_years=5,
    time_barred_disclosure=_frozen(_TIME_BARRED["CN"]),
)

PROFILES: Mapping[str, JurisdictionProfile] = _frozen(
    {p.name: p for p in (US_REGF, UK_FCA, CN)}
)


def get_profile(name: str) -> JurisdictionProfile:
    """The profile called ``name`` (exact, e.g. ``US-RegF``); a clear error otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise UnknownProfileError(
            f"unknown jurisdiction profile {name!r}; known profiles: {known}"
        ) from None
