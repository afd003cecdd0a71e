"""The unsubscribe endpoint behind every email's ``List-Unsubscribe`` header.

* ``POST /unsubscribe/{token}`` is RFC 8058 one-click: mail providers (Gmail's and
  Yahoo's unsubscribe buttons) POST ``List-Unsubscribe=One-Click`` to it, and the page
  below posts the same. It records an ``OPT_OUT`` for the address sealed in the token.
* ``GET /unsubscribe/{token}`` only shows a confirmation page with a button: link
  scanners and mail security gateways prefetch every URL in a message, so a GET must
  never unsubscribe anyone.

Tokens come from :func:`channels.email.unsubscribe_tokens.make_unsubscribe_token`; a token
that does not verify under one of the keys, or has outlived its lifetime, gets 404 and
changes nothing.
"""

from __future__ import annotations

import html
import logging
import uuid

from bot.domain.clock import Clock, SystemClock
from bot.domain.contacts import mask_email
from bot.domain.messages import ChannelKind, ContactSignal, SignalKind
from bot.services.ports import InboundSink
from channels.email.unsubscribe_tokens import Keys, read_unsubscribe_token
from channels.plugin import Webhook, WebRequest, WebResponse

log = logging.getLogger(__name__)

PATH = "/unsubscribe/{token}"

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}
button{{font-size:1rem;padding:.6rem 1.2rem}}</style></head>
<body><h1>{title}</h1>{body}</body></html>
"""


def _page(title: str, body: str, status: int = 200) -> WebResponse:
    return WebResponse.text(
        status,
        _PAGE.format(title=html.escape(title), body=body),
        "text/html",
        headers={"cache-control": "no-store", "referrer-policy": "no-referrer"},
    )


def _not_found() -> WebResponse:
    return _page(
        "Link not valid",
        "<p>This unsubscribe link is not valid. To stop our emails, use the "
        "unsubscribe link of a recent email or reply to it and tell us.</p>",
        status=404,
    )


def unsubscribe_webhooks(secret: Keys, *, clock: Clock | None = None) -> list[Webhook]:
    """The page and the one-click POST for ``/unsubscribe/{token}``; opt-outs go to the
    sink as ContactSignals. ``secret``: the secret keys, current first (a string is
    split on commas)."""
    if not secret:
        raise ValueError("the unsubscribe routes need the application secret")
    now = (clock or SystemClock()).now

    async def confirm_page(request: WebRequest, sink: InboundSink) -> WebResponse:
        address = read_unsubscribe_token(secret, request.path_params["token"], now())
        if address is None:
            return _not_found()
        return _page(
            "Unsubscribe from our emails",
            f"<p>Stop sending emails to <strong>{html.escape(mask_email(address))}</strong>?"
            '</p><form method="post">'
            '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
            '<button type="submit">Unsubscribe</button></form>'
            "<p>You can still reach us by phone or mail at any time.</p>",
        )

    async def one_click(request: WebRequest, sink: InboundSink) -> WebResponse:
        address = read_unsubscribe_token(secret, request.path_params["token"], now())
        if address is None:
            log.info("unsubscribe: refused a token that does not verify")
            return _not_found()
        # RFC 8058 clients send "List-Unsubscribe=One-Click"; the token alone already
        # proves the link came from our email, so an odd body still unsubscribes.
        body = (await request.body())[:2048]
        if b"List-Unsubscribe=One-Click" not in body:
            log.info("unsubscribe: POST without the one-click body, honouring it anyway")
        signal = ContactSignal(
            channel=ChannelKind.EMAIL,
            address=address,
            kind=SignalKind.OPT_OUT,
            received_at=now(),
            source="list-unsubscribe",
            # Every click is its own event: an address that opted back in and clicks an
            # old link again must be opted out again, not deduplicated away.
            provider_id=f"list-unsubscribe:{uuid.uuid4().hex}",
        )
        try:
            await sink.accept(signal)
        except Exception:
            log.exception("unsubscribe: could not record the opt-out for %s", mask_email(address))
            return _page(
                "Please try again",
                "<p>We could not record your request just now. Please try again in a "
                "few minutes.</p>",
                status=503,
            )
        log.info("unsubscribe: opt-out recorded for %s", mask_email(address))
        return _page(
            "You are unsubscribed",
            "<p>We will not send you any more emails about this account.</p>",
        )

    return [Webhook("GET", PATH, confirm_page), Webhook("POST", PATH, one_click)]
