"""The application wired to real channel peers on loopback, for the conversation tests.

:func:`world` starts a Twilio-like REST peer, an SMTP peer (outbound mail), a fake Telegram
Bot API, the SMTP listener (inbound mail) and the web app (``create_app``) behind an
``httpx.ASGITransport``, all around one migrated database and a fixed clock. A customer
writes through the same doors a provider would use:

* SMS: a form signed with the account's auth token, POSTed to the Twilio webhook route;
* email: a real SMTP conversation with the inbound listener;
* Telegram: an update POSTed to the webhook route with the secret-token header.

What the bot answers is sent by the real ``Dispatcher`` through the real adapters to the
peers, where the tests read it.

(This module holds no tests; it is named ``test_inbound_*`` to live with them.)
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, TypeVar

import aiosmtplib
import httpx
from pydantic import SecretStr
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.bootstrap import Container, bootstrap
from bot.domain.case import Case
from bot.domain.clock import FixedClock
from bot.domain.contacts import ContactPoint
from bot.domain.messages import ChannelKind
from bot.entrypoints.web.app import create_app
from bot.services.dispatch import DispatchStats
from bot.settings import Settings
from channels.email.inbound import SmtpInboundListener
from channels.email.smtp import SmtpEmailChannel
from channels.telegram.chat import TelegramChatChannel
from channels.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH
from channels.twilio.sms import INBOUND_PATH, STATUS_PATH, TwilioSmsChannel
from storage.models import (
    CaseEventRow,
    ConversationRow,
    CustomerRow,
    InboundEventRow,
    MessageRow,
    PromiseRow,
    WorkItemRow,
)
from storage.uow import SqlUnitOfWork
from tests.peers.smtp_server import SmtpPeer
from tests.peers.telegram_api import FakeTelegramBotAPI, text_update
from tests.peers.twilio_api import TwilioApiPeer, inbound_message_form
from tests.peers.twilio_signing import signed_headers
from tests.services.app import activate_campaigns

PUBLIC_URL = "https://duebot.example.com"
FROM_NUMBER = "+15005550006"
BRAND = "Acme Bank"
FROM_EMAIL = "collections@bank.example"
REPLY_DOMAIN = "reply.bank.example"
TG_SECRET = "tg-webhook-secret-123"
DOB = date(1980, 5, 17)

#: words that reveal a debt to whoever reads a limited message (README of the templates)
DEBT_WORDS = re.compile(
    r"(?<![a-z])(?:debts?|owe[sd]?|owing|overdue|arrears|past[- ]due|due|balances?|collections?"
    r"|collectors?|instal+ments?|outstanding|unpaid|loans?|repay\w*)(?![a-z])"
    r"|欠|债|逾期|催收|还款|余额|到期|分期", re.IGNORECASE)
MONEY = re.compile(r"[$¥£€]\s?\d|\d[\d,.]*\s?(?:USD|CNY|元)")


@dataclass
class World:
    container: Container
    clock: FixedClock
    twilio: TwilioApiPeer
    smtp: SmtpPeer
    telegram: FakeTelegramBotAPI
    listener: SmtpInboundListener
    http: httpx.AsyncClient
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # ------------------------------------------------------------ customers write
    async def sms(self, sender: str, body: str, sid: str | None = None,
                  **extra: str) -> httpx.Response:
        """The Twilio webhook for an inbound SMS, signed as Twilio signs it."""
        form = inbound_message_form(account_sid=self.twilio.account_sid, from_=sender,
                                    to=FROM_NUMBER, body=body, message_sid=sid)
        form.update(extra)
        headers = signed_headers(self.twilio.auth_token, PUBLIC_URL + INBOUND_PATH, form)
        response = await self.http.post(INBOUND_PATH, data=form, headers=headers)
        assert response.status_code == 200, response.text
        return response

    async def email(self, sender: str, body: str, *, token: str | None = None,
                    in_reply_to: str | None = None, message_id: str | None = None,
                    subject: str = "Re: your message") -> str:
        """A customer's email, delivered over SMTP to the inbound listener."""
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = f"reply+{token}@{REPLY_DOMAIN}" if token else f"help@{REPLY_DOMAIN}"
        msg["Subject"] = subject
        msg["Date"] = format_datetime(self.clock.now())
        mid = message_id or f"cust-{next(self._ids)}@mail.example.org"
        msg["Message-ID"] = f"<{mid}>"
        if in_reply_to:
            msg["In-Reply-To"] = f"<{in_reply_to}>"
        msg.set_content(body)
        await aiosmtplib.send(msg, hostname="127.0.0.1", port=self.listener.port, timeout=5)
        return mid

    async def chat(self, chat_id: int, text: str, message_id: int | None = None
                   ) -> httpx.Response:
        """A Telegram update POSTed to the webhook route, as Telegram delivers it."""
        mid = message_id if message_id is not None else next(self._ids) + 1000
        update = text_update(chat_id, text, update_id=mid, message_id=mid)
        response = await self.http.post(WEBHOOK_PATH, json=update,
                                        headers={SECRET_HEADER: TG_SECRET})
        assert response.status_code == 200, response.text
        return response

    # ------------------------------------------------------------ the bot answers
    async def dispatch(self) -> DispatchStats:
        return await self.container.dispatcher.drain()

    def sms_to(self, number: str) -> list[str]:
        return [m.body for m in self.twilio.messages if m.to == number]

    def mail_to(self, address: str) -> list[EmailMessage]:
        return [m.message for m in self.smtp.messages if address in m.rcpt_tos]

    def chat_to(self, chat_id: int) -> list[str]:
        return [m.text for m in self.telegram.sent if m.chat_id == chat_id]

    def delivered_count(self) -> int:
        return len(self.twilio.messages) + len(self.smtp.messages) + len(self.telegram.sent)

    # ------------------------------------------------------------ the database
    def seed(self, account_id: str = "ACC-1001", *, language: str = "en",
             phone: str | None = "+14155550101", email: str | None = None,
             chat: int | None = None, chat_verified: bool = True, email_verified: bool = False,
             balance: int = 100_000, minimum: int | None = 5_000, currency: str = "USD",
             timezone: str = "America/New_York", dob: date | None = DOB,
             customer_ref: str | None = None, name: str = "Jordan Example") -> Case:
        contacts = []
        if phone:
            contacts.append(ContactPoint(ChannelKind.SMS, phone))
        if email:
            contacts.append(ContactPoint(ChannelKind.EMAIL, email, verified=email_verified))
        if chat is not None:
            contacts.append(ContactPoint(ChannelKind.TELEGRAM, str(chat), verified=chat_verified,
                                         consent_source="telegram-link"))
        with self.container.uow() as uow:
            case = uow.cases.add(Case(
                account_id=account_id, currency=currency, balance_minor=balance,
                due_date=date(2026, 11, 1), customer_name=name, minimum_payment_minor=minimum,
                timezone=timezone, language=language, contacts=contacts),
                customer_ref=customer_ref or f"CUST-{account_id}")
            customer = uow.session.get(CustomerRow, case.customer_id)
            assert customer is not None
            customer.date_of_birth = dob
            uow.session.add(customer)
            uow.commit()
        return case

    def case(self, account_id: str = "ACC-1001") -> Case:
        with self.container.uow() as uow:
            case = uow.cases.get(account_id)
        assert case is not None
        return case

    def events(self, account_id: str = "ACC-1001") -> list[tuple[str, str, dict[str, Any]]]:
        with self.container.uow() as uow:
            case = uow.cases.get(account_id)
            assert case is not None and case.id is not None
            return [(e.type, e.actor, e.payload) for e in uow.events.for_case(case.id)]

    def event_types(self, account_id: str = "ACC-1001") -> list[str]:
        return [t for t, _, _ in self.events(account_id)]

    def work(self, account_id: str | None = "ACC-1001") -> list[WorkItemRow]:
        with self.container.uow() as uow:
            q = select(WorkItemRow).order_by(col(WorkItemRow.id))
            if account_id is not None:
                case = uow.cases.get(account_id)
                assert case is not None
                q = q.where(WorkItemRow.case_id == case.id)
            return detached(uow, list(uow.session.exec(q).all()))

    def kinds(self, account_id: str | None = "ACC-1001") -> list[str]:
        return [w.kind for w in self.work(account_id)]

    def conversation(self, account_id: str = "ACC-1001") -> ConversationRow | None:
        with self.container.uow() as uow:
            case = uow.cases.get(account_id)
            assert case is not None
            row = uow.session.exec(select(ConversationRow).where(
                ConversationRow.case_id == case.id)).first()
            return detached(uow, [row])[0]

    def outbox(self, account_id: str | None = "ACC-1001") -> list[MessageRow]:
        with self.container.uow() as uow:
            q = select(MessageRow).where(MessageRow.direction == "out").order_by(
                col(MessageRow.id))
            if account_id is not None:
                case = uow.cases.get(account_id)
                assert case is not None
                q = q.where(MessageRow.case_id == case.id)
            return detached(uow, list(uow.session.exec(q).all()))

    def counts(self) -> dict[str, int]:
        """Rows per table that inbound processing writes (idempotency checks)."""
        out = {}
        with self.container.uow() as uow:
            for model in (InboundEventRow, MessageRow, CaseEventRow, WorkItemRow, PromiseRow,
                          ConversationRow):
                out[model.__name__] = int(uow.session.exec(
                    select(func.count()).select_from(model)).one())
        return out

    def later(self, delta: timedelta) -> None:
        self.clock.advance(delta)


T = TypeVar("T")


def detached(uow: SqlUnitOfWork, rows: list[T]) -> list[T]:
    """Rows readable after the unit of work closes (its rollback would expire them)."""
    uow.session.expunge_all()
    return rows


def world_settings(twilio: TwilioApiPeer, telegram: FakeTelegramBotAPI, smtp: SmtpPeer
                   ) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        brand_name=BRAND, public_url=PUBLIC_URL, jurisdiction="US-RegF", default_region="US",
        secret_key=SecretStr("test-secret-key"),
        twilio_account_sid=twilio.account_sid, twilio_auth_token=SecretStr(twilio.auth_token),
        twilio_from_number=FROM_NUMBER, twilio_api_base=twilio.base_url,
        smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none", email_from=FROM_EMAIL,
        email_reply_domain=REPLY_DOMAIN,
        telegram_bot_token=SecretStr(telegram.token), telegram_api_base=telegram.api_base,
        telegram_webhook_secret=SecretStr(TG_SECRET), telegram_verification="dob",
    )


@asynccontextmanager
async def world(engine: Engine, clock: FixedClock) -> AsyncIterator[World]:
    async with TwilioApiPeer() as twilio, FakeTelegramBotAPI() as telegram:
        smtp = SmtpPeer(tls="none")
        await smtp.start()
        settings = world_settings(twilio, telegram, smtp)
        sms = TwilioSmsChannel(account_sid=twilio.account_sid, auth_token=twilio.auth_token,
                               from_number=FROM_NUMBER,
                               status_callback_url=PUBLIC_URL + STATUS_PATH,
                               api_base=twilio.base_url, clock=clock)
        mail = SmtpEmailChannel(host="127.0.0.1", port=smtp.port, tls="none",
                                from_address=FROM_EMAIL, reply_domain=REPLY_DOMAIN, timeout=5.0,
                                clock=clock)
        chat = TelegramChatChannel(telegram.token, api_base=telegram.api_base, clock=clock)
        container = bootstrap(settings, clock=clock, engine=engine, channels={
            ChannelKind.SMS: sms, ChannelKind.EMAIL: mail, ChannelKind.TELEGRAM: chat})
        activate_campaigns(container)  # campaign messages go only under active campaigns
        await sms.start()
        await mail.start()
        await chat.start()
        listener = SmtpInboundListener(container.inbound, host="127.0.0.1", port=0,
                                       accept_domains=[REPLY_DOMAIN], reply_domain=REPLY_DOMAIN,
                                       clock=clock)
        await listener.start()
        app = create_app(container)
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                yield World(container, clock, twilio, smtp, telegram, listener, http)
        finally:
            await listener.aclose()
            await chat.aclose()
            await mail.aclose()
            await sms.aclose()
            await smtp.stop()


def assert_discloses_nothing(text: str, *secrets: str) -> None:
    """A limited message: no debt word, no amount or account of the case."""
    found = DEBT_WORDS.search(text)
    assert found is None, f"{found and found[0]!r} in a limited message: {text!r}"
    assert MONEY.search(text) is None, f"an amount in a limited message: {text!r}"
    for secret in secrets:
        assert secret not in text, f"{secret!r} disclosed: {text!r}"
