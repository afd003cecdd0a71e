"""Sign webhook requests exactly as Twilio does (legacy Auth Token, HMAC-SHA1).

Twilio concatenates the full URL it calls (scheme, host, port if configured, path and
query string) with every POST parameter name and value, sorted by name, and sends the
base64 HMAC-SHA1 of that string, keyed with the account's Auth Token, in the
``X-Twilio-Signature`` header. We use the SDK's own ``RequestValidator.compute_signature``
so the signer and the verifier cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


def sign(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The ``X-Twilio-Signature`` value for a form POST of ``params`` to ``url``."""
    return str(RequestValidator(auth_token).compute_signature(url, dict(params)))


def signed_headers(auth_token: str, url: str, params: Mapping[str, str]) -> dict[str, str]:
    """Headers of a Twilio webhook POST (content type and signature)."""
    return {
        "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
        SIGNATURE_HEADER: sign(auth_token, url, params),
        "User-Agent": "TwilioProxy/1.1",
    }
