"""The application secret key: what makes one unfit for production.

``DUEBOT_SECRET_KEY`` seals the address in unsubscribe links; with the development value
(public: it is in the source) or a short key, anyone could mint a link that opts any
address out. The runners refuse to start with such a key when a real channel is
configured (``bot.bootstrap.secret_key_problem``).
"""

from __future__ import annotations

#: the secret key of a development install (the default)
DEV_SECRET_KEY = "dev-insecure-change-me"
#: the shortest secret key accepted with a real channel configured, in bytes (UTF-8)
MIN_SECRET_KEY_BYTES = 32


def weak_key_reason(key: str) -> str | None:
    """Why ``key`` must not guard production links, or None when it may."""
    if key == DEV_SECRET_KEY:
        return "is the development value"
    if len(key.encode("utf-8")) < MIN_SECRET_KEY_BYTES:
        return f"is shorter than {MIN_SECRET_KEY_BYTES} bytes"
    return None
