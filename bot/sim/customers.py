"""Synthetic customers for ``duebot simulate``: how people answer collection messages.

Each customer has a persona by segment (prime, near prime, subprime): how often they
answer a campaign message, what an answer says (a promise, "I already paid", a dispute,
a request to stop, hardship, a question, a wrong number, a refusal, small talk), how often
they keep a promise, and how often they simply pay without answering. Texts are the
kind real customers send (English and Chinese), written so that the reply parser reads
them the way a person would (see ``/work/shared/replies/LABELING.md``).

Everything random comes from one ``random.Random`` per customer, seeded from the run's
seed and the account id, so a run is reproducible whatever order customers act in.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from bot.domain.messages import ChannelKind
from bot.domain.money import from_minor

#: a campaign step's message (anything else the bot sends is a reply to the customer)
CAMPAIGN = "campaign"
#: what the bot is waiting for (``conversation.state``) and what a customer answers
ASKS_DOB = "verify"
ASKS_PLAN = "choose_plan"
ASKS_CONFIRM = "confirm_promise"
ASKS_DATE = "ask_date"

WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_ZH = ("一", "二", "三", "四", "五", "六", "日")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
             "Dec")
INTENTS = ("promise", "paid", "dispute", "stop", "hardship", "question", "wrong_party",
           "refuse", "other")


@dataclass(frozen=True)
class Persona:
    segment: str
    answer: float  # chance to answer a campaign message
    pay_silently: float  # chance to just pay after a campaign message
    keep: float  # chance to keep a promise
    claim_true: float  # chance that "I already paid" is true (the payment shows up)
    verify_right: float  # chance to give the right date of birth
    wrong_number: float  # chance the phone belongs to someone else
    intents: tuple[float, ...]  # weights for INTENTS, in order


PERSONAS: dict[str, Persona] = {
    "prime": Persona("prime", 0.30, 0.08, 0.85, 0.8, 0.95, 0.01,
                     (0.50, 0.10, 0.03, 0.04, 0.08, 0.08, 0.00, 0.02, 0.15)),
    "near_prime": Persona("near_prime", 0.22, 0.05, 0.65, 0.6, 0.9, 0.02,
                          (0.45, 0.07, 0.05, 0.06, 0.14, 0.07, 0.00, 0.05, 0.11)),
    "subprime": Persona("subprime", 0.15, 0.03, 0.45, 0.4, 0.85, 0.04,
                        (0.38, 0.06, 0.07, 0.09, 0.18, 0.05, 0.00, 0.09, 0.08)),
}


@dataclass(frozen=True)
class Say:
    """The customer writes ``text`` on ``channel`` (to the address they were written to)."""

    channel: ChannelKind
    text: str


@dataclass(frozen=True)
class Pay:
    """The customer pays ``amount_minor`` (``None``: the whole balance) at ``at``."""

    amount_minor: int | None
    at: datetime


@dataclass
class Customer:
    """One synthetic customer (one account) and what they have decided so far."""

    account_id: str
    case_id: int
    language: str
    currency: str
    balance_minor: int
    minimum_minor: int | None
    segment: str
    date_of_birth: date | None
    addresses: dict[ChannelKind, str]
    rng: random.Random
    persona: Persona
    wrong_number: bool = False  # the phone reaches someone else
    gone: bool = False  # asked to stop, disputed, or is the wrong person: answers no more
    keeps: dict[str, bool] = field(default_factory=dict)  # promise ref → will keep it
    claim_pay_on: date | None = None  # "I already paid" that is true pays on this day

    @classmethod
    def create(cls, seed: int, *, account_id: str, case_id: int, language: str,
               currency: str, balance_minor: int, minimum_minor: int | None,
               segment: str | None, date_of_birth: date | None,
               addresses: dict[ChannelKind, str]) -> Customer:
        digest = hashlib.sha256(f"{seed}\x1f{account_id}".encode()).digest()
        rng = random.Random(int.from_bytes(digest[:8], "big"))
        persona = PERSONAS.get(segment or "", PERSONAS["near_prime"])
        customer = cls(account_id, case_id, language, currency, balance_minor, minimum_minor,
                       persona.segment, date_of_birth, addresses, rng, persona)
        customer.wrong_number = ChannelKind.SMS in addresses and \
            rng.random() < persona.wrong_number
        return customer

    # ------------------------------------------------------------------ reading
    def read(self, kind: str, channel: ChannelKind, local_now: datetime,
             waiting_for: str | None = None) -> list[Say | Pay]:
        """What the customer does on reading a message: answer, pay, or nothing.

        ``kind`` is :data:`CAMPAIGN` for a campaign step's message, else the bot's
        reply; ``waiting_for`` is what the bot asked, when it asked something
        (the conversation state: ``verify``, ``choose_plan``, ``confirm_promise``,
        ``ask_date``).
        """
        if self.gone:
            return []
        if self.wrong_number and channel is ChannelKind.SMS:
            if kind == CAMPAIGN and self.rng.random() < 0.5:
                self.gone = True
                return [Say(channel, self._pick(
                    ["wrong number", "Wrong number, I don't know this person",
                     "you have the wrong person"],
                    ["打错了", "你发错人了", "我不认识这个人"]))]
            return []
        if kind == CAMPAIGN:
            return self._on_campaign(channel, local_now)
        if waiting_for == ASKS_DOB:
            if self.date_of_birth is None:
                return []
            dob = self.date_of_birth if self.rng.random() < self.persona.verify_right \
                else self.date_of_birth + timedelta(days=1)
            return [Say(channel, dob.isoformat())]
        if waiting_for == ASKS_PLAN:
            return [Say(channel, self.rng.choice(["1", "2", "2", "3"]))]
        if waiting_for == ASKS_CONFIRM:
            return [Say(channel, self._pick(["yes", "ok", "yes that works"],
                                            ["好的", "可以", "确认"]))]
        if waiting_for == ASKS_DATE:
            return [Say(channel, self._date_phrase(local_now.date(),
                                                   self.rng.randint(1, 6))[0])]
        return []

    def _on_campaign(self, channel: ChannelKind, local_now: datetime) -> list[Say | Pay]:
        out: list[Say | Pay] = []
        if self.rng.random() < self.persona.pay_silently:
            amount = self.balance_minor if self.rng.random() < 0.4 else self._instalment()
            out.append(Pay(amount, local_now + timedelta(hours=self.rng.randint(1, 30))))
            return out
        if self.rng.random() >= self.persona.answer:
            return out
        intent = self.rng.choices(INTENTS, self.persona.intents)[0]
        if intent == "promise":
            out.append(Say(channel, self._promise_text(local_now.date())))
        elif intent == "paid":
            out.append(Say(channel, self._pick(
                ["I already paid this", "I paid yesterday", "Paid it last week, please check",
                 "I made the payment this morning"],
                ["已经还了", "我上周已经还款了", "昨天已经还了，请查一下"])))
            if self.rng.random() < self.persona.claim_true:
                self.claim_pay_on = local_now.date() + timedelta(days=self.rng.randint(0, 2))
        elif intent == "dispute":
            self.gone = True
            out.append(Say(channel, self._pick(
                ["This is not my debt", "The amount is wrong, I never had this loan",
                 "I dispute this, send me proof"],
                ["这不是我的债", "我没借过这笔钱", "金额不对，我要投诉这笔账"])))
        elif intent == "stop":
            self.gone = True
            if channel is ChannelKind.SMS:
                text = self._pick(["STOP", "stop", "Please stop texting me"],
                                  ["退订", "TD", "不要再发了"])
            else:
                text = self._pick(["Please stop contacting me", "stop emailing me",
                                   "leave me alone"], ["不要再联系我", "别再发了", "别烦我"])
            out.append(Say(channel, text))
        elif intent == "hardship":
            out.append(Say(channel, self._pick(
                ["I lost my job, can I get a payment plan?", "can I pay in instalments?",
                 "I can't pay it all, can we set up a plan"],
                ["我失业了，能分期吗", "能分期吗", "最近困难，可以分期还吗"])))
        elif intent == "question":
            out.append(Say(channel, self._pick(
                ["how much do I owe?", "what is my balance?", "How much is left to pay?"],
                ["我欠多少钱", "还欠多少", "余额是多少"])))
        elif intent == "refuse":
            out.append(Say(channel, self._pick(["I'm not paying", "not paying this"],
                                               ["不还", "我不会还的"])))
        else:
            out.append(Say(channel, self._pick(["ok thanks", "thanks", "got it"],
                                               ["好的谢谢", "收到", "知道了"])))
        return out

    # ------------------------------------------------------------------ paying
    def will_keep(self, ref: str) -> bool:
        """Whether the customer keeps promise ``ref`` (decided once, when first asked)."""
        if ref not in self.keeps:
            self.keeps[ref] = self.rng.random() < self.persona.keep
        return self.keeps[ref]

    # ------------------------------------------------------------------ texts
    def _pick(self, en: list[str], zh: list[str]) -> str:
        return self.rng.choice(zh if self.language == "zh" else en)

    def _instalment(self) -> int:
        floor = self.minimum_minor or self.balance_minor // 10 or 1
        return max(1, min(self.balance_minor, floor))

    def _amount_text(self, minor: int) -> str:
        value = Decimal(from_minor(minor, self.currency))
        whole = value == value.to_integral_value()
        shown = f"{value:.0f}" if whole else f"{value:.2f}"
        if self.language == "zh":
            return f"{shown}元" if self.rng.random() < 0.5 else shown
        symbol = {"USD": "$", "GBP": "£", "EUR": "€"}.get(self.currency, "")
        return f"{symbol}{shown}" if symbol else f"{shown} {self.currency}"

    def _date_phrase(self, today: date, days: int) -> tuple[str, date]:
        """A way to say "in ``days`` days" that the parser reads (and the date meant)."""
        when = today + timedelta(days=days)
        if self.language == "zh":
            if days == 1:
                return "明天", when
            if days == 2:
                return "后天", when
            return f"{when.month}月{when.day}号", when
        if days == 1:
            return "tomorrow", when
        if days < 7:  # a bare weekday: the first such day strictly after today
            return f"on {WEEKDAYS_EN[when.weekday()]}", when
        return f"by {MONTHS_EN[when.month - 1]} {when.day}", when

    def _promise_text(self, today: date) -> str:
        roll = self.rng.random()
        if roll < 0.25:
            amount = self.balance_minor
        elif roll < 0.6:
            amount = max(self._instalment(), self.balance_minor // 2)
        else:
            amount = self._instalment()
        amount = -(-amount // 100) * 100 if amount % 100 else amount  # whole units
        amount = min(amount, self.balance_minor)
        phrase, _ = self._date_phrase(today, self.rng.randint(1, 10))
        money = self._amount_text(amount)
        if self.language == "zh":
            return self.rng.choice([f"{phrase}还{money}", f"{phrase}前还{money}",
                                    f"我{phrase}还{money}"])
        return self.rng.choice([f"I can pay {money} {phrase}", f"I'll pay {money} {phrase}",
                                f"ok i can do {money} {phrase}"])
