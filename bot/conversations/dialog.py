"""What the bot does with one customer reply: pure decisions, no I/O.

``decide()`` takes the parsed reply, where the conversation stands (what the bot last
asked), facts about the case and the compliance profile, and returns a :class:`Turn`:
commands for the case (promise, dispute, hold, queue for a person...), the replies to
send (template ids) and the conversation's next state. The service in
``bot/services/inbound.py`` carries the turn out inside one unit of work.

A short answer ("yes", "2", "6 months", "好的", a date) is read against the question the
bot asked; otherwise the reply's intent decides. An opt-out is honoured whatever else the
reply says. A reply the parser is unsure of goes to a person instead of being guessed.

Nothing is agreed that the customer could not read: a counter-offer (YES/NO) is made only
on terms the contact point may show (a limited one: a date, not an amount), and plans
(amounts) are offered only to a verified party; otherwise a person follows up.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.case import Hold
from bot.domain.work_items import WorkItemKind
from bot.replies.dates import DATE as DATE_HIT
from bot.replies.dates import context as date_context
from bot.replies.dates import find_dates
from bot.replies.model import Intent, Reply
from bot.replies.normalize import fold
from bot.replies.second_opinion import DISAGREE

CONVERSATION_TTL = timedelta(hours=24)
VERIFY_ATTEMPTS = 3
PAYMENT_CLAIM_GRACE_DAYS = 5
PLAN_COUNTS = (3, 6, 12)
#: the parser is this sure of an OTHER only for thanks, greetings, emoji, auto-replies
ACKNOWLEDGEMENT = 0.9


class State(StrEnum):
    IDLE = "idle"
    CONFIRM_PROMISE = "confirm_promise"  # we proposed terms; waiting for yes/no
    ASK_DATE = "ask_date"  # a promise without a date; waiting for the date
    CHOOSE_PLAN = "choose_plan"  # we offered instalment plans; waiting for a choice
    VERIFY = "verify"  # we asked a verification question
    LOCKED = "locked"  # verification failed too often; a person takes over


@dataclass
class Conversation:
    state: State = State.IDLE
    context: dict[str, Any] = field(default_factory=dict)
    expires_at: datetime | None = None
    verify_failures: int = 0

    def current(self, now: datetime) -> Conversation:
        """The conversation as of ``now``: a question left unanswered too long lapses."""
        if self.state not in (State.IDLE, State.LOCKED) and self.expires_at is not None \
                and now >= self.expires_at:
            return Conversation(verify_failures=self.verify_failures)
        return self


@dataclass(frozen=True)
class CaseFacts:
    """What the dialog needs to know about the case and the contact point."""

    balance_minor: int
    currency: str
    today: date  # the customer's local date
    minimum_payment_minor: int | None = None
    closed: bool = False
    verified: bool = False  # the right party is verified on this contact point
    can_verify: bool = True  # the customer record has something to verify against
    contact_opted_out: bool = False
    expected_answer: str | None = None  # normalised (see normalise_answer)
    verify_method: str = "dob"
    day_first: bool = False  # 05/06/1980 is 5 June (outside the US)
    timezone: str = "UTC"  # the customer's zone: "call me at 3pm" is their 3pm
    medium: str = ""  # the medium the reply came on, as opt-out scopes name it: sms...


@dataclass(frozen=True)
class Limits:
    """The profile's promise rules (from ``JurisdictionProfile``)."""

    max_promise_horizon_days: int = 60
    min_instalment_percent: int = 10
    max_instalments: int = 12


# ------------------------------------------------------------------ commands
@dataclass(frozen=True)
class MakePromise:
    terms: tuple[tuple[int | None, date | None], ...]


@dataclass(frozen=True)
class ClaimPayment:
    grace_days: int = PAYMENT_CLAIM_GRACE_DAYS


@dataclass(frozen=True)
class OpenDispute:
    reason: str


@dataclass(frozen=True)
class PlaceLegalHold:
    kind: str  # attorney | bankruptcy | cease | complaint


@dataclass(frozen=True)
class PlaceHold:
    """A hold that protects the customer (deceased...), with why."""

    hold: Hold
    reason: str


@dataclass(frozen=True)
class OptOutContact:
    """Stop what the reply asked to stop (``Reply.opt_out_scope``; empty: this address)."""

    scope: tuple[str, ...] = ()


@dataclass(frozen=True)
class MarkWrongParty:
    pass


@dataclass(frozen=True)
class MarkShared:
    """Someone else reads this address too (a relative answered for the customer)."""

    reason: str = "a relative answered for the customer"


@dataclass(frozen=True)
class MarkVerified:
    pass


@dataclass(frozen=True)
class QueueForHuman:
    kind: WorkItemKind
    detail: str = ""
    due_at: datetime | None = None


#: what a person is asked to do when a reply with an opt-out also says more
_RAISED_KIND = {"hardship": WorkItemKind.HARDSHIP, "refuse": WorkItemKind.REFUSAL,
                "callback": WorkItemKind.CALLBACK, "promise_to_pay": WorkItemKind.PROMISE_TO_PAY}

Command = (MakePromise | ClaimPayment | OpenDispute | PlaceLegalHold | PlaceHold
           | OptOutContact | MarkWrongParty | MarkShared | MarkVerified | QueueForHuman)


@dataclass(frozen=True)
class ReplySpec:
    template_id: str
    #: extra render values: ``plan_options`` [(count, amount_minor, first_due)], promise
    values: dict[str, Any] = field(default_factory=dict)
    #: "confirmation" replies go out even to a contact point that just opted out
    confirmation: bool = False


@dataclass
class Turn:
    commands: list[Command] = field(default_factory=list)
    replies: list[ReplySpec] = field(default_factory=list)
    conversation: Conversation = field(default_factory=Conversation)
    note: str = ""  # machine-readable summary for the event log


# ------------------------------------------------------------------ short answers
_YES = {"yes", "y", "yeah", "yep", "yup", "ok", "okay", "k", "sure", "confirm", "agreed", "agree",
        "fine", "deal", "correct", "right", "好", "好的", "可以", "行", "是", "是的", "对", "嗯",
        "确认", "同意", "没问题", "ok的", "👍"}
_NO = {"no", "n", "nope", "nah", "not", "cancel", "不", "不行", "不要", "不可以", "否", "不是",
       "不同意", "算了"}
_STRIP = re.compile(r"[\s,.!?;:，。！？；：、~～]+")
_PLAN_PICK = re.compile(r"^(?:option|plan|#|no\.?)?\s*(\d{1,2})\s*(?:months?|mo|instalments?|"
                        r"installments?|payments?|期|个月|個月|月|次)?$")


def _norm(text: str) -> str:
    return _STRIP.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def yes_no(text: str) -> bool | None:
    t = _norm(text)
    if t in _YES or t.replace(" ", "") in _YES:
        return True
    if t in _NO or t.replace(" ", "") in _NO:
        return False
    return None


def plan_pick(text: str, counts: list[int]) -> int | None:
    """The plan chosen by a short answer: an option number or an instalment count."""
    m = _PLAN_PICK.match(_norm(text))
    if not m:
        return None
    n = int(m[1])
    if n in counts:
        return n
    if 1 <= n <= len(counts):
        return counts[n - 1]
    return None


_DIGITS = re.compile(r"\d+")
_WORDS = re.compile(r"[a-z]+")
_MONTHS = {name: i + 1 for i, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"))}
_MONTHS.update({name[:3]: n for name, n in list(_MONTHS.items())})
_MONTHS["sept"] = 9


def normalise_answer(method: str, text: str, day_first: bool = False) -> str | None:
    """A verification answer in comparable form: ISO date for dob, 4 digits for id_last4.

    Dates as people type them: ``1980-12-31``, ``12/31/1980`` (``31/12/1980`` with
    ``day_first``), ``1980年12月31日``, ``31 December 1980``, ``Dec 31, 1980``.
    """
    t = unicodedata.normalize("NFKC", text).strip()
    if method == "id_last4":
        digits = "".join(_DIGITS.findall(t))
        return digits[-4:] if len(digits) >= 4 else None
    parts = _DIGITS.findall(t)
    months = [_MONTHS[w] for w in _WORDS.findall(t.lower()) if w in _MONTHS]
    if len(months) == 1 and len(parts) == 2:
        year, day = (parts if len(parts[0]) == 4 else parts[::-1])
        if len(year) != 4 or len(day) > 2:
            return None
        try:
            return date(int(year), months[0], int(day)).isoformat()
        except ValueError:
            return None
    if len(parts) != 3:
        return None
    try:
        if len(parts[0]) == 4:
            y, m, d = (int(p) for p in parts)
        elif day_first:
            d, m, y = (int(p) for p in parts)
        else:
            m, d, y = (int(p) for p in parts)
        return date(y, m, d).isoformat()
    except ValueError:
        return None


# ------------------------------------------------------------------ promise rules
def check_terms(terms: list[tuple[int | None, date | None]], facts: CaseFacts,
                limits: Limits) -> tuple[list[tuple[int | None, date | None]], list[str]]:
    """Validate promise terms; returns terms adjusted into policy and what was wrong.

    One payment: dated from today up to the profile's horizon, at least the case's
    minimum payment (or the balance, if smaller), at most the balance. Several (a plan):
    at most ``max_instalments``, together at most the balance, each at least
    ``min_instalment_percent`` of the balance (the last one may be the remainder); the
    first is due within the horizon and the last at most ``max_instalments - 1`` months
    after it (a monthly plan started within the horizon).
    """
    problems: list[str] = []
    horizon = facts.today + timedelta(days=limits.max_promise_horizon_days)
    plan = len(terms) > 1
    last_allowed = _add_months(horizon, limits.max_instalments - 1) if plan else horizon
    dated = sorted(d for _, d in terms if d is not None)
    first_due = dated[0] if dated else None
    fixed: list[tuple[int | None, date | None]] = []
    total = sum(a for a, _ in terms if a is not None)
    minimum = max(1, facts.balance_minor * limits.min_instalment_percent // 100) if plan \
        else min(facts.minimum_payment_minor or 1, facts.balance_minor)
    last_due = dated[-1] if dated else None
    for amount, due in terms:
        remainder = plan and total == facts.balance_minor and due == last_due
        if due is not None and due < facts.today:
            problems.append("date_in_past")
            due = facts.today
        if due is not None:
            limit = horizon if (not plan or due == first_due) else last_allowed
            if due > limit:
                problems.append("date_too_far")
                due = limit
        if amount is not None and amount > facts.balance_minor:
            problems.append("amount_above_balance")
            amount = facts.balance_minor
        if amount is not None and amount < minimum and not remainder:
            problems.append("amount_below_minimum")
            amount = minimum
        fixed.append((amount, due))
    if len(terms) > limits.max_instalments:
        problems.append("too_many_instalments")
    if plan and total > facts.balance_minor:
        problems.append("instalments_above_balance")
    return fixed, sorted(set(problems))


def plan_options(facts: CaseFacts, limits: Limits) -> list[tuple[int, int, date]]:
    """Instalment plans within policy: (count, amount per instalment, first due date)."""
    out = []
    first = facts.today + timedelta(days=7)
    floor = facts.balance_minor * limits.min_instalment_percent / 100
    for count in PLAN_COUNTS:
        if count > limits.max_instalments:
            continue
        each = -(-facts.balance_minor // count)  # ceiling: instalments cover the balance
        if each < floor or each <= 0:
            continue
        out.append((count, each, first))
    return out


def plan_terms(count: int, each: int, first: date, balance: int
                ) -> tuple[tuple[int | None, date | None], ...]:
    terms: list[tuple[int | None, date | None]] = []
    left = balance
    for i in range(count):
        amount = min(each, left)
        terms.append((amount, _add_months(first, i)))
        left -= amount
    return tuple(t for t in terms if (t[0] or 0) > 0)


#: how far apart the instalments of a recurring offer fall
_PERIOD_DAYS = {"day": 1, "week": 7, "fortnight": 14}


def recurring_terms(each: int, period: str, first: date, balance: int
                    ) -> list[tuple[int | None, date | None]]:
    """The instalments of a recurring offer until the balance is covered: ``each`` (minor
    units) per ``period`` (day, week, fortnight or month) from ``first``; the last is the
    remainder. Empty when ``each`` is not positive."""
    if each <= 0 or balance <= 0:
        return []
    terms: list[tuple[int | None, date | None]] = []
    left = balance
    k = 0
    while left > 0:
        due = (_add_months(first, k) if period == "month"
               else first + timedelta(days=_PERIOD_DAYS.get(period, 7) * k))
        amount = min(each, left)
        terms.append((amount, due))
        left -= amount
        k += 1
    return terms


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def to_minor(amount: Decimal | None, currency_exp: int = 2) -> int | None:
    if amount is None:
        return None
    return int((amount * (10 ** currency_exp)).quantize(Decimal(1), rounding=ROUND_DOWN))


_BANKRUPT = re.compile(r"bankrupt|chapter\s*(?:7|11|13)|破产|iva\b|debt relief order", re.I)
_ATTORNEY = re.compile(r"lawyer|attorney|solicitor|counsel|legal rep|律师", re.I)
_CEASE = re.compile(r"cease and desist|cease & desist|cease contact|停止催收函", re.I)
_BALANCE_Q = re.compile(r"how much|balance|owe|amount|total|多少|余额|欠款|欠多少|金额|账单", re.I)


#: a third party telling us the customer has died. The parser's ``deceased`` flag is the
#: source (LABELING.md); these phrases cover replies it does not flag yet. Only read in a
#: reply from someone else (intent wrong_party) or one the parser could not place (a
#: person reads it anyway): "my mother passed away, I can't pay" is a bereaved customer
#: (hardship), not a deceased one.
_BEREAVEMENT = re.compile(
    r"passed away|passed on|(?:is|was) (?:now )?deceased|no longer (?:with us|alive|living)"
    r"|bereave\w*|rest in peace|(?:his|her|their) (?:death|passing|funeral)"
    r"|(?<![a-z])(?:he|she|they|husband|wife|partner|son|daughter|mother|father|mum|mom|dad"
    r"|brother|sister|grandmother|grandfather|owner|customer)"
    r"(?:\s+(?:has|had|have|sadly|recently|just|unfortunately))*\s+(?:died|passed)(?![a-z])"
    r"|去世|过世|病逝|离世|身故|已故|逝世|过身|亡故",
    re.I)


def reports_death(reply: Reply) -> bool:
    """Whether the reply says the customer has died (see :data:`_BEREAVEMENT`)."""
    return reply.deceased or (
        (reply.intent is Intent.WRONG_PARTY
         or (reply.needs_human and reply.intent not in _AS_THE_CUSTOMER))
        and _BEREAVEMENT.search(reply.text) is not None)


#: readings in which the writer speaks as the customer: a doubt about one of these is no
#: doubt about who is writing ("my mother passed away so I cannot pay" read as hardship
#: and doubted is still a bereaved customer)
_AS_THE_CUSTOMER = frozenset({Intent.PROMISE_TO_PAY, Intent.PAID, Intent.HARDSHIP,
                              Intent.REFUSE, Intent.DISPUTE})
#: someone answering for the customer as family ("this is his wife", "我是他妈妈"): the
#: address is the customer's, others read it too (shared), it is not a wrong number
_RELATIVE = re.compile(
    r"\b(?:this\s+is|i\s*'?\s*a?m|im|i\s+am)\s+(?:his|her|their)\s+(?:wife|husband|partner|"
    r"mother|mom|mum|father|dad|son|daughter|sister|brother|grandmother|grandfather|"
    r"grandma|grandpa|girlfriend|boyfriend|fianc[eé]e?|aunt|uncle|niece|nephew|cousin)\b"
    r"|我是(?:他|她)(?:的)?(?:老婆|妻子|爱人|老公|丈夫|妈妈|母亲|爸爸|父亲|儿子|女儿|姐姐|妹妹|"
    r"哥哥|弟弟|奶奶|爷爷|外婆|外公|家人|亲戚)", re.I)


def relative_answering(text: str) -> bool:
    """Whether the writer speaks for the customer as a relative (not a stranger)."""
    return bool(_RELATIVE.search(unicodedata.normalize("NFKC", text)))


def legal_kind(text: str) -> str:
    if _BANKRUPT.search(text):
        return "bankruptcy"
    if _ATTORNEY.search(text):
        return "attorney"
    if _CEASE.search(text):
        return "cease"
    return "complaint"


# ------------------------------------------------------------------ the decision
def decide(reply: Reply, conv: Conversation, facts: CaseFacts, limits: Limits,
           now: datetime, *, exp: int = 2) -> Turn:
    """One reply → one turn. ``exp`` is the currency's minor-unit exponent."""
    conv = conv.current(now)
    turn = Turn(conversation=replace(conv, context=dict(conv.context)))

    if reports_death(reply):
        # not a wrong number: the case stops for a specialist, who deals with the estate;
        # one acknowledgement, then nothing automated (an opt-out is recorded as well)
        turn.commands.append(PlaceHold(Hold.DECEASED, "a reply says the customer has died"))
        turn.commands.append(QueueForHuman(WorkItemKind.BEREAVEMENT,
                                           "bereavement reported in a reply"))
        if reply.opt_out and not facts.contact_opted_out:
            turn.commands.append(OptOutContact())
        turn.replies.append(ReplySpec("bereavement_ack", confirmation=True))
        turn.conversation = Conversation(verify_failures=conv.verify_failures)
        turn.note = "deceased"
        return turn

    if reply.opt_out:
        # honoured whatever else the reply says, with exactly its scope (this address,
        # the media it names, or all contact); one confirmation, nothing else sent
        # someone who is not the customer speaks for this address only
        scope = ("this",) if reply.intent is Intent.WRONG_PARTY or not reply.opt_out_scope \
            else reply.opt_out_scope
        only_here = set(scope) <= {"this", facts.medium}
        if not (facts.contact_opted_out and only_here):
            turn.commands.append(OptOutContact(scope))
        if not facts.contact_opted_out:
            turn.replies.append(ReplySpec(
                "opt_out_confirmed" if only_here else "opt_out_scope_confirmed",
                confirmation=True))
        _act_silently(reply, facts, turn)
        turn.conversation = Conversation(verify_failures=conv.verify_failures)
        turn.note = f"opt_out:{reply.intent}"
        return turn

    if conv.state is State.LOCKED:
        turn.commands.append(QueueForHuman(WorkItemKind.VERIFICATION_LOCKED,
                                           "customer wrote while locked"))
        turn.note = "locked"
        return turn

    handled = _in_context(reply, conv, facts, limits, now, turn, exp)
    if handled:
        return turn
    _by_intent(reply, facts, limits, now, turn, exp)
    return turn


def _expire(now: datetime) -> datetime:
    return now + CONVERSATION_TTL


def _idle(conv: Conversation) -> Conversation:
    return Conversation(verify_failures=conv.verify_failures)


def _dates_in(reply: Reply, facts: CaseFacts) -> list[date]:
    """Dates the reply gives: the parser's promise dates, else any future date phrase
    ("next friday" alone is no promise to the parser, but it answers "which date?")."""
    found = [p.date for p in reply.promises if p.date is not None]
    if found:
        return found
    lang = reply.lang if reply.lang in ("en", "zh") else "en"
    hits = find_dates(fold(reply.text).text, lang, date_context(facts.today, facts.day_first))
    return [h.value for h in hits if h.kind == DATE_HIT and h.value is not None]


def _plan_offer(turn: Turn, now: datetime, options: list[tuple[int, int, date]],
                failures: int) -> None:
    """Show plans the customer can pick with a short answer (verified contact only)."""
    turn.replies.append(ReplySpec("plan_options", {"plan_options": options}))
    turn.conversation = Conversation(
        State.CHOOSE_PLAN, {"options": [(c, a, d.isoformat()) for c, a, d in options]},
        _expire(now), failures)


def _ask_verification(purpose: str, turn: Turn, now: datetime, failures: int) -> None:
    turn.replies.append(ReplySpec("verify_prompt"))
    turn.conversation = Conversation(State.VERIFY, {"purpose": purpose}, _expire(now), failures)


def _in_context(reply: Reply, conv: Conversation, facts: CaseFacts, limits: Limits,
                now: datetime, turn: Turn, exp: int) -> bool:
    text = reply.text
    if conv.state is State.CONFIRM_PROMISE:
        answer = yes_no(text)
        if answer is True:
            terms = tuple((a, date.fromisoformat(d) if d else None)
                          for a, d in conv.context.get("terms", []))
            turn.commands.append(MakePromise(terms))
            turn.replies.append(ReplySpec("promise_confirmed"))
            turn.conversation = _idle(conv)
            turn.note = "promise_confirmed_in_context"
            return True
        if answer is False:
            turn.commands.append(QueueForHuman(WorkItemKind.PROMISE_NEGOTIATION,
                                               "customer declined the counter-offer"))
            turn.replies.append(ReplySpec("handoff_ack"))
            turn.conversation = _idle(conv)
            turn.note = "counter_offer_declined"
            return True
        return False
    if conv.state is State.ASK_DATE:
        if reply.intent not in (Intent.OTHER, Intent.PROMISE_TO_PAY):
            return False  # "I already paid", a dispute...: the message itself counts
        dates = _dates_in(reply, facts)
        if dates:
            amount = conv.context.get("amount")
            amounts = [to_minor(p.amount, exp) for p in reply.promises if p.amount is not None]
            _promise(((amounts[0] if amounts else amount), dates[0]), facts, limits, now,
                     turn, conv)
            turn.note = "date_given_in_context:" + turn.note
            return True
        return False
    if conv.state is State.CHOOSE_PLAN:
        options = {int(c): (int(a), date.fromisoformat(d))
                   for c, a, d in conv.context.get("options", [])}
        pick = plan_pick(text, sorted(options))
        if pick is None and yes_no(text) is True and len(options) == 1:
            pick = next(iter(options))
        if pick is not None:
            each, first = options[pick]
            turn.commands.append(MakePromise(plan_terms(pick, each, first,
                                                         facts.balance_minor)))
            turn.replies.append(ReplySpec("promise_confirmed", {"plan_count": pick}))
            turn.conversation = _idle(conv)
            turn.note = f"plan_chosen:{pick}"
            return True
        if yes_no(text) is False:
            turn.commands.append(QueueForHuman(WorkItemKind.HARDSHIP,
                                               "no plan suited the customer"))
            turn.replies.append(ReplySpec("handoff_ack"))
            turn.conversation = _idle(conv)
            turn.note = "plans_declined"
            return True
        return False
    if conv.state is State.VERIFY:
        given = normalise_answer(facts.verify_method, text, facts.day_first)
        if given is not None and facts.verify_method == "dob" \
                and date.fromisoformat(given) >= facts.today:
            given = None  # "I'll pay on 12/20/2026" is no date of birth
        if given is None:
            if reply.intent in (Intent.OTHER, Intent.QUESTION) or reply.needs_human:
                turn.replies.append(ReplySpec("verify_prompt", {"retry": True}))
                turn.conversation.expires_at = _expire(now)
                turn.note = "verify_unreadable"
                return True
            return False  # a real message (dispute, promise...) wins over the question
        if facts.expected_answer is not None and given == facts.expected_answer:
            turn.commands.append(MarkVerified())
            purpose = conv.context.get("purpose", "balance")
            turn.replies.append(ReplySpec("verified_ok"))  # it shows the balance
            turn.conversation = Conversation()
            plans = plan_options(facts, limits) if purpose == "plans" else []
            if plans and not facts.closed:
                _plan_offer(turn, now, plans, 0)
            turn.note = "verified"
            return True
        failures = conv.verify_failures + 1
        if failures >= VERIFY_ATTEMPTS:
            turn.commands.append(QueueForHuman(WorkItemKind.VERIFICATION_LOCKED,
                                               f"{failures} failed verification attempts"))
            turn.replies.append(ReplySpec("verify_locked"))
            turn.conversation = Conversation(State.LOCKED, {}, None, failures)
            turn.note = "verify_locked"
            return True
        turn.replies.append(ReplySpec("verify_failed",
                                      {"attempts_left": VERIFY_ATTEMPTS - failures}))
        turn.conversation = Conversation(State.VERIFY, conv.context, _expire(now), failures)
        turn.note = "verify_failed"
        return True
    return False


def _act_silently(reply: Reply, facts: CaseFacts, turn: Turn) -> None:
    """With an opt-out, still record what the reply says (paid, dispute, legal...)."""
    intent = reply.intent
    if reply.needs_human:
        turn.commands.append(QueueForHuman(WorkItemKind.LOW_CONFIDENCE,
                                           "opt-out with an unclear message"))
        return
    if intent is Intent.LEGAL:
        turn.commands.append(PlaceLegalHold(legal_kind(reply.text)))
        turn.commands.append(QueueForHuman(WorkItemKind.LEGAL, "legal matter raised"))
    elif intent is Intent.WRONG_PARTY:
        turn.commands.append(MarkShared() if relative_answering(reply.text)
                             else MarkWrongParty())
    elif intent is Intent.DISPUTE:
        turn.commands.append(OpenDispute("customer disputes the debt"))
        turn.commands.append(QueueForHuman(WorkItemKind.DISPUTE, "dispute raised"))
    elif intent is Intent.PAID:
        turn.commands.append(ClaimPayment())
        turn.commands.append(QueueForHuman(WorkItemKind.PAYMENT_CLAIM, "customer says they paid"))
    elif intent in (Intent.HARDSHIP, Intent.REFUSE, Intent.CALLBACK, Intent.PROMISE_TO_PAY):
        # a promise cannot be confirmed back any more: a person records it
        turn.commands.append(QueueForHuman(_RAISED_KIND[intent], "raised with an opt-out"))


def _promise(term: tuple[int | None, date | None], facts: CaseFacts, limits: Limits,
             now: datetime, turn: Turn, conv: Conversation,
             more: list[tuple[int | None, date | None]] | None = None) -> None:
    """Accept terms within policy; else counter-offer or hand to a person.

    A counter-offer is a YES/NO question about terms the customer can read: on a limited
    contact (SMS, unverified) only a date may be shown, so only a one-payment offer whose
    amount stays as the customer gave it is countered there. Anything else goes to a
    person (with the plans a verified customer may pick meanwhile).
    """
    terms = [term] + (more or [])
    fixed, problems = check_terms(terms, facts, limits)
    base = _idle(conv)
    if not problems:
        turn.commands.append(MakePromise(tuple(terms)))
        turn.replies.append(ReplySpec("promise_confirmed"))
        turn.conversation = base
        turn.note = "promise"
        return
    amount_changed = any(p.startswith("amount") for p in problems)
    if len(terms) == 1 and (facts.verified or not amount_changed):
        proposed = [(a, d.isoformat() if d else None) for a, d in fixed]
        turn.replies.append(ReplySpec("promise_counter_offer", {"proposed": proposed,
                                                                "problems": problems}))
        turn.conversation = Conversation(
            State.CONFIRM_PROMISE, {"terms": proposed, "problems": problems},
            _expire(now), conv.verify_failures)
        turn.note = "counter_offer:" + ",".join(problems)
        return
    turn.commands.append(QueueForHuman(WorkItemKind.PROMISE_NEGOTIATION, ",".join(problems)))
    offer = [(a, d.isoformat() if d else None) for a, d in terms]
    options = plan_options(facts, limits) if facts.verified and not facts.closed else []
    turn.replies.append(ReplySpec("promise_out_of_policy", {"offer": offer,
                                                            "plan_options": options}))
    turn.conversation = base
    if options:
        turn.conversation = Conversation(
            State.CHOOSE_PLAN, {"options": [(c, a, d.isoformat()) for c, a, d in options]},
            _expire(now), conv.verify_failures)
    turn.note = "promise_out_of_policy_handoff:" + ",".join(problems)


def _by_intent(reply: Reply, facts: CaseFacts, limits: Limits, now: datetime, turn: Turn,
               exp: int) -> None:
    intent = reply.intent
    failures = turn.conversation.verify_failures
    base_conv = Conversation(verify_failures=failures)
    turn.note = intent.value
    rules_read_legal = intent is Intent.LEGAL and DISAGREE not in reply.review
    if reply.needs_human and not rules_read_legal:
        # nothing is recorded or sent on a reading that is not safe to act on (a legal
        # hold the rules read only protects the customer, so it still goes on)
        why = "; ".join(reply.review) or "low confidence"
        turn.commands.append(QueueForHuman(WorkItemKind.LOW_CONFIDENCE,
                                           f"parser unsure ({intent.value}, "
                                           f"{reply.confidence:.2f}): {why}"))
        if intent is not Intent.OTHER:
            turn.replies.append(ReplySpec("handoff_ack"))
        turn.conversation = base_conv
        turn.note = f"low_confidence:{intent.value}"
        return
    if intent is Intent.LEGAL:
        turn.commands.append(PlaceLegalHold(legal_kind(reply.text)))
        turn.commands.append(QueueForHuman(WorkItemKind.LEGAL, "legal matter raised"))
        turn.replies.append(ReplySpec("legal_ack", confirmation=True))
        turn.conversation = base_conv
    elif intent is Intent.WRONG_PARTY and relative_answering(reply.text):
        # the customer's own address, read by family too: no more detail there, ever
        turn.commands.append(MarkShared())
        turn.commands.append(QueueForHuman(WorkItemKind.OTHER,
                                           "a relative answered for the customer"))
        turn.replies.append(ReplySpec("handoff_ack"))
        turn.conversation = base_conv
        turn.note = "relative_answered"
    elif intent is Intent.WRONG_PARTY:
        turn.commands.append(MarkWrongParty())
        turn.replies.append(ReplySpec("wrong_party_reply", confirmation=True))
        turn.conversation = base_conv
    elif intent is Intent.DISPUTE:
        turn.commands.append(OpenDispute("customer disputes the debt"))
        turn.commands.append(QueueForHuman(WorkItemKind.DISPUTE, "dispute raised"))
        turn.replies.append(ReplySpec("dispute_ack"))
        turn.conversation = base_conv
    elif intent is Intent.PROMISE_TO_PAY:
        rec = reply.recurrence
        if rec is not None and rec.amount is not None and rec.first is not None:
            # "300 a month from next Friday": a plan proposal, checked as a whole
            plan = recurring_terms(to_minor(rec.amount, exp) or 0, rec.period, rec.first,
                                   facts.balance_minor)
            if plan:
                first_term, *rest_terms = plan
                _promise(first_term, facts, limits, now, turn, turn.conversation, rest_terms)
                turn.note = "plan_proposed:" + turn.note
                return
        terms = [(to_minor(p.amount, exp), p.date) for p in reply.promises]
        if not terms or all(d is None for _, d in terms):
            amount = terms[0][0] if terms else None
            turn.replies.append(ReplySpec("ask_promise_date"))
            turn.conversation = Conversation(State.ASK_DATE, {"amount": amount},
                                             _expire(now), failures)
            turn.note = "promise_without_date"
            return
        first, *rest = terms
        _promise(first, facts, limits, now, turn, turn.conversation, rest)
    elif intent is Intent.PAID:
        turn.commands.append(ClaimPayment())
        turn.commands.append(QueueForHuman(WorkItemKind.PAYMENT_CLAIM, "customer says they paid"))
        turn.replies.append(ReplySpec("paid_ack"))
        turn.conversation = base_conv
    elif intent is Intent.HARDSHIP:
        options = plan_options(facts, limits) if not facts.closed else []
        if options and facts.verified:
            _plan_offer(turn, now, options, failures)
        elif options and facts.can_verify:
            # the plans show amounts: the limited text says help exists, then we verify
            turn.replies.append(ReplySpec("plan_options"))
            _ask_verification("plans", turn, now, failures)
            turn.note = "hardship_needs_verification"
        elif options:
            # SMS: the limited text says plans exist and to call; a person follows up
            turn.commands.append(QueueForHuman(WorkItemKind.HARDSHIP, "plans offered by phone"))
            turn.replies.append(ReplySpec("plan_options"))
            turn.conversation = base_conv
        else:
            turn.commands.append(QueueForHuman(WorkItemKind.HARDSHIP, "no plan within policy"))
            turn.replies.append(ReplySpec("handoff_ack"))
            turn.conversation = base_conv
    elif intent is Intent.REFUSE:
        turn.commands.append(QueueForHuman(WorkItemKind.REFUSAL, "customer refuses to pay"))
        turn.replies.append(ReplySpec("handoff_ack"))
        turn.conversation = base_conv
    elif intent is Intent.CALLBACK:
        local_now = now.astimezone(ZoneInfo(facts.timezone))
        turn.commands.append(QueueForHuman(WorkItemKind.CALLBACK, "customer asks for a call",
                                           callback_time(reply.text, local_now)))
        turn.replies.append(ReplySpec("callback_ack"))
        turn.conversation = base_conv
    elif intent is Intent.QUESTION:
        if _BALANCE_Q.search(reply.text):
            if facts.verified:
                turn.replies.append(ReplySpec("balance_info"))
            elif facts.can_verify:
                _ask_verification("balance", turn, now, failures)
                turn.note = "question_needs_verification"
            else:
                turn.commands.append(QueueForHuman(WorkItemKind.QUESTION,
                                                   "balance asked; cannot verify"))
                turn.replies.append(ReplySpec("handoff_ack"))
        else:
            turn.replies.append(ReplySpec("how_to_pay"))
    elif intent is Intent.STOP:
        pass  # handled by opt_out above; a STOP the parser did not flag changes nothing
    elif reply.confidence < ACKNOWLEDGEMENT:
        # OTHER the parser could not place, short enough not to count as unsure
        turn.commands.append(QueueForHuman(WorkItemKind.OTHER,
                                           "message the bot could not place"))
    # else thanks, greetings, emoji, auto-replies: nothing to do


_TIME = re.compile(r"(?<![\d:])(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)", re.I)
_ZH_TIME = re.compile(r"(上午|早上|中午|下午|晚上)?\s*"
                      r"(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*[点點时](半|(\d{1,2})分?)?")
_ZH_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
           "九": 9, "十": 10, "十一": 11, "十二": 12}


def callback_time(text: str, now: datetime) -> datetime | None:
    """The time a customer asks to be called at (local ``now``'s zone), if they said one."""
    t = unicodedata.normalize("NFKC", text)
    day = now.date()
    low = t.lower()
    if "tomorrow" in low or "tmrw" in low or "明天" in t:
        day += timedelta(days=1)
    elif "后天" in t:
        day += timedelta(days=2)
    hour = minute = None
    m = _TIME.search(t)
    if m:
        if not 1 <= int(m[1]) <= 12:  # "25pm", "0am": not a time
            return None
        hour, minute = int(m[1]) % 12, int(m[2] or 0)
        if m[3].lower().startswith("p"):
            hour += 12
    else:
        z = _ZH_TIME.search(t)
        if z:
            raw = z[2]
            hour = int(raw) if raw.isdigit() else _ZH_NUM.get(raw)
            if hour is not None:
                minute = 30 if z[3] == "半" else int(z[4] or 0)
                if z[1] in ("下午", "晚上") and hour < 12:
                    hour += 12
    if hour is None or hour > 23 or (minute or 0) > 59:
        return None
    at = datetime.combine(day, datetime.min.time(), now.tzinfo).replace(hour=hour,
                                                                      minute=minute or 0)
    return at if at > now else at + timedelta(days=1)
