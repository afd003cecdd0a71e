"""Telegram chat channel, built on python-telegram-bot (PTB) 22 running inside duebot.

PTB is used as a library, never with ``run_polling``/``run_webhook``: :meth:`start` calls
``Application.initialize()`` + ``start()`` (and ``Updater.start_polling`` in polling mode),
:meth:`aclose` undoes it. Outbound calls go through PTB's ``AIORateLimiter``.

Inbound, two ways in, one translation (:meth:`TelegramChatChannel.handle_update`):

* webhook mode (a public HTTPS URL exists): ``channels/telegram/webhook.py``
  authenticates the POST and hands the JSON to :meth:`handle_update`;
* polling mode (no public URL): PTB's updater long-polls ``getUpdates`` and every update
  goes through the same :meth:`handle_update`.

Translation rules (:meth:`parse_inbound`); only **private** chats count, anything from a
group, supergroup or channel is ignored:

* text message → :class:`InboundMessage` (``sender`` = chat id, ``provider_id`` =
  ``"<chat id>:<message id>"``, stable across webhook redeliveries; ``thread_ref`` =
  ``"<chat id>:<message id>"`` of the bot message it replies to, the same form as
  the ``provider_id`` returned by :meth:`send`); a media caption counts as text;
* ``/start <token>`` → ``ContactSignal(LINK_REQUEST, detail=token)`` (deep-link
  onboarding); bare ``/start`` and ``/help`` → ``ContactSignal(HELP)``;
* ``/stop`` → ``ContactSignal(OPT_OUT, source="telegram-stop")``;
* the user blocking the bot (``my_chat_member`` → kicked) →
  ``ContactSignal(OPT_OUT, source="telegram-blocked")``; unblocking is not an opt-in;
* button press (``callback_query``) → :class:`InboundMessage` whose text is the button's
  payload, ``provider_id`` = ``"cb:<callback query id>"``; the query is answered after the
  sink took it, so the customer's client stops spinning;
* edited messages, messages without text (stickers, photos without caption, voice) and
  every other update kind → nothing.

Secrets: the bot token is kept in a ``SecretStr``, never shown by ``repr`` and scrubbed from
PTB's and httpx's log records (httpx logs request URLs, which contain the token; PTB logs
request parameters and updates at DEBUG, which contain message bodies).
"""

from __future__ import annotations

import asyncio
import logging
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import SecretStr
from telegram import (
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler
from telegram.warnings import PTBDeprecationWarning

from bot.domain.clock import Clock, SystemClock
from bot.domain.messages import (
    ChannelKind,
    ContactSignal,
    DeliveryResult,
    FailureReason,
    InboundEvent,
    InboundMessage,
    OutboundMessage,
    SignalKind,
    SinkResult,
)
from bot.services.ports import Channel, ChannelConfigError, InboundSink
from channels.telegram.config import TelegramConfig

_LOG = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.telegram.org/bot"
#: the update kinds this channel asks Telegram for (everything else is never fetched)
ALLOWED_UPDATES: tuple[str, ...] = ("message", "callback_query", "my_chat_member")

_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,100}$")
_SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_START_PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MAX_CALLBACK_DATA_BYTES = 64
_MAX_BUTTON_LABEL = 64


class TelegramUpdateError(ValueError):
    """A payload handed to the channel is not a Telegram update."""


def mask_chat_id(chat_id: object) -> str:
    """A chat id fit for logs: only the last three digits."""
    text = str(chat_id)
    return "…" + text[-3:] if len(text) > 3 else "…"


# --------------------------------------------------------------------------- log scrubbing


class _TelegramLogScrubber(logging.Filter):
    """Removes bot tokens and message payloads from PTB's and httpx's log records.

    A logger's filters only see records logged on that very logger, so the scrubber is
    attached to every logger PTB and httpx write to (``_SCRUBBED_LOGGERS``).
    """

    # (template prefix, replacement keeping only args[0], the endpoint name)
    _PAYLOAD_TEMPLATES: ClassVar[tuple[tuple[str, str], ...]] = (
        ("Calling Bot API endpoint", "Calling Bot API endpoint `%s` (parameters withheld)"),
        ("Call to Bot API endpoint", "Call to Bot API endpoint `%s` returned (result withheld)"),
    )
    _UPDATE_TEMPLATES: ClassVar[tuple[str, ...]] = ("Processing update", "Dropping pending update")

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add_secret(self, secret: str) -> None:
        self._secrets.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "telegram.ext.AIORateLimiter" and str(record.msg).startswith(
            "Rate limit hit after"
        ):
            # a 429 is an expected, handled outcome (send() returns TRANSIENT and logs it):
            # PTB's ERROR with a traceback would page someone for nothing
            record.levelno, record.levelname, record.exc_info = logging.INFO, "INFO", None
        if isinstance(record.msg, str) and record.args:
            for prefix, replacement in self._PAYLOAD_TEMPLATES:
                if record.msg.startswith(prefix) and isinstance(record.args, tuple):
                    record.msg, record.args = replacement, record.args[:1]
                    break
            else:
                if record.msg.startswith(self._UPDATE_TEMPLATES):
                    record.msg, record.args = record.msg.split("%", 1)[0] + "(withheld)", ()
        if self._secrets:
            try:
                rendered = record.getMessage()
            except (TypeError, ValueError):
                return True
            scrubbed = self._scrub(rendered)
            if scrubbed != rendered:
                record.msg, record.args = scrubbed, ()
            if record.exc_info and not record.exc_text:
                # pre-render the traceback so handlers print the scrubbed text
                record.exc_text = self._scrub(logging.Formatter().formatException(record.exc_info))
        return True

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<bot-token>")
        return text


_SCRUBBED_LOGGERS = (
    "httpx",
    "telegram",
    "telegram.Bot",
    "telegram.ext",
    "telegram.ext.ExtBot",
    "telegram.ext.Application",
    "telegram.ext.Updater",
    "telegram.ext.AIORateLimiter",
    "telegram.request.BaseRequest",
    "telegram.request.HTTPXRequest",
)
_SCRUBBER = _TelegramLogScrubber()
for _name in _SCRUBBED_LOGGERS:
    logging.getLogger(_name).addFilter(_SCRUBBER)


# --------------------------------------------------------------------------- translation


@dataclass
class _Translated:
    events: list[InboundEvent] = field(default_factory=list)
    chat_id: int | None = None
    callback_query_id: str | None = None


def _command(message: Message) -> tuple[str, str] | None:
    """``("/start", "payload")`` for a bot command message, else ``None``."""
    text = message.text or ""
    if not text.startswith("/"):
        return None
    head, _, rest = text.partition(" ")
    name = head.split("@", 1)[0].lower()  # "/stop@duebot_bot" in clients that add it
    return name, rest.strip()


class TelegramChatChannel(Channel):
    """The Telegram adapter; see the module docstring for the inbound rules.

    ``token`` is the bot token from @BotFather; ``api_base`` overrides
    ``https://api.telegram.org/bot`` (a local Bot API server or the test peer; the token is
    appended to it). ``polling=True`` selects polling mode: :meth:`start` then needs a sink.
    ``poll_timeout`` is the long-poll ``getUpdates`` timeout in seconds.
    """

    kind: ClassVar[ChannelKind] = ChannelKind.TELEGRAM
    name: ClassVar[str] = "telegram"
    max_body_len: ClassVar[int] = 4096
    supports_subject: ClassVar[bool] = False
    supports_quick_replies: ClassVar[bool] = True
    rate_per_sec: float = 25.0

    def __init__(
        self,
        token: str | SecretStr,
        *,
        api_base: str | None = None,
        polling: bool = False,
        poll_timeout: float = 10.0,
        request_timeout: float = 10.0,
        clock: Clock | None = None,
        rate_per_sec: float | None = None,
    ) -> None:
        secret = token if isinstance(token, SecretStr) else SecretStr(token)
        raw_token = secret.get_secret_value().strip()
        if not raw_token:
            raise ChannelConfigError("Telegram: DUEBOT_TELEGRAM_BOT_TOKEN is empty")
        if not _TOKEN_RE.match(raw_token):
            raise ChannelConfigError(
                "Telegram: DUEBOT_TELEGRAM_BOT_TOKEN is not a bot token "
                "(expected '<bot id>:<secret>' as issued by @BotFather)"
            )
        base = (api_base or DEFAULT_API_BASE).strip()
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ChannelConfigError(
                "Telegram: DUEBOT_TELEGRAM_API_BASE must be an http(s) URL such as "
                f"{DEFAULT_API_BASE}"
            )
        if poll_timeout < 0 or request_timeout <= 0:
            raise ChannelConfigError("Telegram: poll_timeout must be >= 0, request_timeout > 0")
        if rate_per_sec is not None:
            if not 0 < rate_per_sec < float("inf"):
                raise ChannelConfigError("Telegram: DUEBOT_TELEGRAM_RATE must be a positive "
                                         "number of messages per second")
            self.rate_per_sec = rate_per_sec
        self._token = SecretStr(raw_token)
        _SCRUBBER.add_secret(raw_token)
        self._api_base = base.rstrip("/") if base.rstrip("/").endswith("/bot") else base
        self._polling = polling
        self._poll_timeout = poll_timeout
        self._request_timeout = request_timeout
        self._clock: Clock = clock or SystemClock()
        self._app: Application[Any, Any, Any, Any, Any, Any] | None = None
        self._sink: InboundSink | None = None
        self._username: str | None = None
        self._start_lock = asyncio.Lock()

    @classmethod
    def from_config(
        cls, config: TelegramConfig, *, polling: bool | None = None, clock: Clock | None = None
    ) -> TelegramChatChannel:
        """Build from :class:`~channels.telegram.config.TelegramConfig`, in the mode it
        chooses unless ``polling`` is given."""
        return cls(
            config.token,
            api_base=config.api_base,
            polling=config.polling if polling is None else polling,
            clock=clock,
            rate_per_sec=config.rate,
        )

    def __repr__(self) -> str:
        host = urlsplit(self._api_base).hostname
        mode = "polling" if self._polling else "webhook"
        return (
            f"TelegramChatChannel(api_host={host!r}, mode={mode!r}, "
            f"bot={self._username!r}, token=**********)"
        )

    # ------------------------------------------------------------------ lifecycle
    @property
    def polling(self) -> bool:
        return self._polling

    @property
    def bot_username(self) -> str | None:
        """The bot's @username as Telegram reported it (``None`` before :meth:`start`)."""
        return self._username

    @property
    def running(self) -> bool:
        return self._app is not None and self._app.running

    def _build_app(self) -> Application[Any, Any, Any, Any, Any, Any]:
        api_root = self._api_base[: -len("/bot")] if self._api_base.endswith("/bot") else None
        builder = (
            Application.builder()
            .token(self._token.get_secret_value())
            .base_url(self._api_base)
            .base_file_url(f"{api_root}/file/bot" if api_root else self._api_base)
            .rate_limiter(AIORateLimiter(overall_max_rate=self.rate_per_sec, max_retries=0))
            .job_queue(None)
            .connect_timeout(self._request_timeout)
            .read_timeout(self._request_timeout)
            .write_timeout(self._request_timeout)
            .get_updates_connect_timeout(self._request_timeout)
            .get_updates_read_timeout(self._request_timeout)
        )
        if not self._polling:
            builder = builder.updater(None)
        app = builder.build()
        app.add_handler(TypeHandler(Update, self._on_polled_update))
        app.add_error_handler(self._on_handler_error)
        return app

    async def start(self, *, sink: InboundSink | None = None) -> None:
        """Connect to the Bot API (``getMe``) and start PTB; in polling mode, given a
        ``sink``, also poll and hand every fetched update to it.

        Without a sink the channel only sends (a worker, a web server answering
        webhooks): only the one process that runs the receivers polls, since Telegram
        lets a bot poll from one place at a time. Calling it again with a sink starts
        polling on a channel already started. Raises :class:`ChannelConfigError` when
        Telegram rejects the token or cannot be reached.
        """
        async with self._start_lock:
            if self._app is None:
                app = self._build_app()
                await self._initialize(app)
                await app.start()
                self._app = app
                self._username = app.bot.username
                _LOG.info("telegram channel started (%s mode, bot @%s)",
                          "polling" if self._polling else "webhook", self._username)
            app = self._app
            if sink is not None and self._polling:
                assert app.updater is not None
                if not app.updater.running:
                    self._sink = sink
                    await app.updater.start_polling(
                        timeout=timedelta(seconds=self._poll_timeout),
                        allowed_updates=list(ALLOWED_UPDATES),
                        drop_pending_updates=False,
                    )
                    _LOG.info("telegram polling started")

    async def _initialize(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """``getMe`` through ``app``'s bot, with Telegram's refusals as configuration
        errors (the bot is shut down again then)."""
        try:
            await app.initialize()
        except InvalidToken:
            await app.bot.shutdown()
            # ``from None``: PTB's InvalidToken message quotes the token itself
            raise ChannelConfigError(
                "Telegram rejected the bot token (check DUEBOT_TELEGRAM_BOT_TOKEN)"
            ) from None
        except NetworkError as exc:
            await app.bot.shutdown()
            raise ChannelConfigError(
                f"Telegram: cannot reach the Bot API at {urlsplit(self._api_base).hostname} "
                f"({type(exc).__name__})"
            ) from None

    async def verify(self) -> None:
        """``getMe`` with the token, without starting anything."""
        app = self._build_app()
        await self._initialize(app)
        await app.shutdown()

    async def aclose(self) -> None:
        app, self._app = self._app, None
        if app is None:
            return
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    def _bot_app(self) -> Application[Any, Any, Any, Any, Any, Any]:
        if self._app is None:
            raise RuntimeError("TelegramChatChannel is not started: await channel.start() first")
        return self._app

    # ------------------------------------------------------------------ webhook admin
    async def set_webhook(self, url: str, secret_token: str | SecretStr) -> None:
        """Point Telegram at ``url`` (``POST /webhooks/telegram`` of our web app).

        Telegram sends ``secret_token`` back in ``X-Telegram-Bot-Api-Secret-Token`` on every
        call. Raises :class:`ChannelConfigError` when Telegram refuses the URL or secret.
        """
        secret = (
            secret_token.get_secret_value() if isinstance(secret_token, SecretStr) else secret_token
        )
        check_secret_token(secret)
        if urlsplit(url).scheme not in ("http", "https"):
            raise ChannelConfigError("Telegram: webhook URL must be an https URL")
        try:
            await self._bot_app().bot.set_webhook(
                url=url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES)
            )
        except BadRequest as exc:
            raise ChannelConfigError(f"Telegram refused the webhook: {exc.message}") from exc

    async def delete_webhook(self) -> None:
        """Stop webhook delivery (needed before polling can be used again)."""
        await self._bot_app().bot.delete_webhook()

    # ------------------------------------------------------------------ outbound
    async def send(self, outbound: OutboundMessage) -> DeliveryResult:
        """Send one text message, with ``quick_replies`` as inline buttons.

        ``provider_id`` is ``"<chat id>:<message id>"``. Telegram has no idempotency key, so
        a retried call after a lost answer may deliver twice.
        """
        if outbound.channel is not ChannelKind.TELEGRAM:
            raise ValueError(f"TelegramChatChannel cannot send a {outbound.channel} message")
        problem = self._precheck(outbound)
        if problem is not None:
            return problem
        chat_id = int(outbound.to)
        markup = (
            InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(reply.label, callback_data=reply.payload)]
                    for reply in outbound.quick_replies
                ]
            )
            if outbound.quick_replies
            else None
        )
        try:
            sent = await self._bot_app().bot.send_message(
                chat_id=chat_id, text=outbound.body, reply_markup=markup
            )
        except Exception as exc:  # every provider/network outcome becomes a DeliveryResult
            result = _failure_result(exc)
            _LOG.warning(
                "telegram send to chat %s failed: %s %s (%s)",
                mask_chat_id(chat_id),
                result.status,
                result.reason,
                result.detail,
            )
            return result
        return DeliveryResult.accepted(f"{chat_id}:{sent.message_id}", segments=1)

    def _precheck(self, outbound: OutboundMessage) -> DeliveryResult | None:
        to = outbound.to.strip()
        if not re.fullmatch(r"-?\d{1,20}", to):
            return DeliveryResult.permanent(
                FailureReason.INVALID_ADDRESS, detail="not a Telegram chat id"
            )
        if int(to) <= 0:
            # groups and channels have negative ids; debt talk goes to private chats only
            return DeliveryResult.permanent(
                FailureReason.INVALID_ADDRESS, detail="not a private chat"
            )
        if not outbound.body.strip():
            return DeliveryResult.permanent(FailureReason.REJECTED, detail="empty message")
        if len(outbound.body) > self.max_body_len:
            return DeliveryResult.permanent(
                FailureReason.REJECTED,
                detail=f"message longer than {self.max_body_len} characters",
            )
        for reply in outbound.quick_replies:
            if not 1 <= len(reply.payload.encode()) <= _MAX_CALLBACK_DATA_BYTES:
                return DeliveryResult.permanent(
                    FailureReason.REJECTED,
                    detail=f"quick reply payload must be 1-{_MAX_CALLBACK_DATA_BYTES} bytes",
                )
            if not reply.label.strip() or len(reply.label) > _MAX_BUTTON_LABEL:
                return DeliveryResult.permanent(
                    FailureReason.REJECTED,
                    detail=f"quick reply label must be 1-{_MAX_BUTTON_LABEL} characters",
                )
        return None

    # ------------------------------------------------------------------ inbound
    def parse_inbound(self, raw: Mapping[str, Any]) -> list[InboundEvent]:
        """Translate one update's JSON (webhook body or ``getUpdates`` item).

        Raises :class:`TelegramUpdateError` when ``raw`` is not an update.
        """
        return self._translate(self._decode(raw)).events

    async def handle_update(self, raw: Mapping[str, Any], sink: InboundSink) -> list[SinkResult]:
        """Translate one update, hand its events to ``sink``, then act on the outcome.

        Texts in ``SinkResult.replies`` are sent back to the chat (that is how the
        application answers in-band, e.g. the onboarding question), and a button press is
        acknowledged with ``answerCallbackQuery``. Sink exceptions propagate (the webhook then
        answers 500 and Telegram redelivers; the sink is idempotent).
        """
        return await self._dispatch(self._decode(raw), sink)

    def _decode(self, raw: Mapping[str, Any]) -> Update:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("update_id"), int):
            raise TelegramUpdateError("Telegram update must be a JSON object with an update_id")
        bot = self._app.bot if self._app is not None else None
        try:
            return Update.de_json(dict(raw), bot)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise TelegramUpdateError(
                f"malformed Telegram update ({type(exc).__name__}: {exc})"
            ) from exc

    async def _dispatch(self, update: Update, sink: InboundSink) -> list[SinkResult]:
        translated = self._translate(update)
        results = [await sink.accept(event) for event in translated.events]
        if translated.chat_id is not None:
            for index, text in enumerate(t for r in results if not r.duplicate for t in r.replies):
                reply = OutboundMessage(
                    idempotency_key=f"tg-reply:{update.update_id}:{index}",
                    channel=ChannelKind.TELEGRAM,
                    to=str(translated.chat_id),
                    body=text,
                )
                outcome = await self.send(reply)
                if not outcome.ok:
                    _LOG.warning(
                        "telegram in-band reply to chat %s not delivered (%s)",
                        mask_chat_id(translated.chat_id),
                        outcome.reason,
                    )
        if translated.callback_query_id is not None and self._app is not None:
            try:
                await self._app.bot.answer_callback_query(translated.callback_query_id)
            except TelegramError as exc:  # the press is recorded; the spinner just times out
                _LOG.warning("telegram answerCallbackQuery failed (%s)", type(exc).__name__)
        return results

    def _translate(self, update: Update) -> _Translated:
        if update.message is not None:
            return self._from_message(update.message)
        if update.callback_query is not None:
            return self._from_callback(update.callback_query)
        if update.my_chat_member is not None:
            return self._from_member(update.my_chat_member, update.update_id)
        # edited messages, channel posts, inline queries, ...: nothing for the domain
        return _Translated()

    def _from_message(self, message: Message) -> _Translated:
        chat = message.chat
        if chat.type != ChatType.PRIVATE:
            return _Translated()
        sender = str(chat.id)
        provider_id = f"{chat.id}:{message.message_id}"
        now = self._clock.now()
        command = _command(message)
        if command is not None:
            signal = self._command_signal(command, sender, provider_id)
            if signal is not None:
                return _Translated([signal], chat_id=chat.id)
        text = message.text if message.text is not None else message.caption
        if not text or not text.strip():
            return _Translated()  # sticker, voice, photo without caption...
        reply_to = message.reply_to_message
        event = InboundMessage(
            channel=ChannelKind.TELEGRAM,
            sender=sender,
            text=text,
            provider_id=provider_id,
            received_at=now,
            thread_ref=f"{chat.id}:{reply_to.message_id}" if reply_to is not None else None,
        )
        return _Translated([event], chat_id=chat.id)

    def _command_signal(
        self, command: tuple[str, str], sender: str, provider_id: str
    ) -> ContactSignal | None:
        name, argument = command
        if name == "/stop":
            kind, source, detail = SignalKind.OPT_OUT, "telegram-stop", ""
        elif name == "/start" and _START_PAYLOAD_RE.match(argument):
            kind, source, detail = SignalKind.LINK_REQUEST, "telegram-deep-link", argument
        elif name in ("/start", "/help"):
            # a bare /start (or one with a malformed payload) is someone opening the bot
            kind, source, detail = SignalKind.HELP, f"telegram-{name[1:]}", ""
        else:
            return None  # other commands ("/pay") reach the domain as text
        return ContactSignal(
            channel=ChannelKind.TELEGRAM,
            address=sender,
            kind=kind,
            received_at=self._clock.now(),
            source=source,
            provider_id=provider_id,
            detail=detail,
        )

    def _from_callback(self, query: CallbackQuery) -> _Translated:
        message = query.message
        if message is None or message.chat.type != ChatType.PRIVATE or not query.data:
            # inline-mode buttons or group messages: answer nothing, record nothing
            return _Translated()
        event = InboundMessage(
            channel=ChannelKind.TELEGRAM,
            sender=str(message.chat.id),
            text=query.data,
            provider_id=f"cb:{query.id}",
            received_at=self._clock.now(),
            thread_ref=f"{message.chat.id}:{message.message_id}",
        )
        return _Translated([event], chat_id=message.chat.id, callback_query_id=query.id)

    def _from_member(self, member: ChatMemberUpdated, update_id: int) -> _Translated:
        if member.chat.type != ChatType.PRIVATE:
            return _Translated()
        if member.new_chat_member.status != ChatMemberStatus.BANNED:  # "kicked": bot blocked
            return _Translated()
        signal = ContactSignal(
            ChannelKind.TELEGRAM,
            str(member.chat.id),
            SignalKind.OPT_OUT,
            self._clock.now(),
            source="telegram-blocked",
            provider_id=f"member:{member.chat.id}:{update_id}",
        )
        # no chat_id: nothing can be sent to a chat that blocked us
        return _Translated([signal])

    # ------------------------------------------------------------------ polling plumbing
    async def _on_polled_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update) or self._sink is None:
            return
        await self._dispatch(update, self._sink)

    async def _on_handler_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        _LOG.error(
            "telegram update %s could not be handled: %s",
            update_id,
            type(error).__name__,
            exc_info=error,
        )


def check_secret_token(secret: str) -> None:
    """Telegram's rule for webhook secrets: 1-256 characters of ``A-Za-z0-9_-``."""
    if not _SECRET_TOKEN_RE.match(secret):
        raise ChannelConfigError(
            "Telegram: DUEBOT_TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -"
        )


def _retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _failure_result(exc: Exception) -> DeliveryResult:
    """Map a PTB/network exception to a DeliveryResult (order matters: BadRequest and
    TimedOut are NetworkError subclasses)."""
    if isinstance(exc, RetryAfter):
        seconds = _retry_after_seconds(exc)
        return DeliveryResult.transient(
            FailureReason.RATE_LIMITED,
            code="429",
            detail=f"flood control: retry after {seconds:g}s",
        )
    if isinstance(exc, Forbidden):
        text = exc.message.lower()
        if "deactivated" in text:
            return DeliveryResult.permanent(
                FailureReason.INVALID_ADDRESS, code="403", detail="user is deactivated"
            )
        return DeliveryResult.permanent(FailureReason.BLOCKED, code="403", detail=_short(exc))
    if isinstance(exc, InvalidToken):
        return DeliveryResult.permanent(
            FailureReason.CONFIGURATION, code="401", detail="bot token rejected"
        )
    if isinstance(exc, BadRequest):
        text = exc.message.lower()
        if any(s in text for s in ("chat not found", "user not found", "peer_id_invalid")):
            return DeliveryResult.permanent(
                FailureReason.INVALID_ADDRESS, code="400", detail="chat not found"
            )
        return DeliveryResult.permanent(FailureReason.REJECTED, code="400", detail=_short(exc))
    if isinstance(exc, NetworkError):  # includes TimedOut
        return DeliveryResult.transient(FailureReason.UNAVAILABLE, detail=type(exc).__name__)
    if isinstance(exc, TelegramError):
        return DeliveryResult.transient(FailureReason.UNAVAILABLE, detail=type(exc).__name__)
    if isinstance(exc, OSError | TimeoutError):
        return DeliveryResult.transient(FailureReason.UNAVAILABLE, detail=type(exc).__name__)
    raise exc


def _short(exc: TelegramError) -> str:
    # Bot API descriptions name the problem, never the chat or the text; still keep it short
    return exc.message[:120]


__all__ = [
    "ALLOWED_UPDATES",
    "DEFAULT_API_BASE",
    "TelegramChatChannel",
    "TelegramUpdateError",
    "check_secret_token",
    "mask_chat_id",
]
