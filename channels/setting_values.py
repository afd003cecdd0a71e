"""Channels read plain setting values, never the ``Settings`` object.

:data:`SettingValues` maps a setting's name (``smtp_host``) to its value, as
``Settings.model_dump()`` gives it; bootstrap passes it down. Each channel package turns
it into a frozen config of its own (``channels/<channel>/config.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

#: setting values by setting name, e.g. ``Settings.model_dump()``
SettingValues = Mapping[str, Any]


def rate_setting(values: SettingValues, name: str) -> float | None:
    """The messages-per-second setting ``name`` (``smtp_rate``...), None when unset;
    raises ``ChannelConfigError`` unless it is a positive, finite number."""
    from bot.services.ports import ChannelConfigError

    value = values.get(name)
    if value is None:
        return None
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = float("nan")
    if not (0 < rate < float("inf")):
        raise ChannelConfigError(f"DUEBOT_{name.upper()} must be a positive number of "
                                 f"messages per second, got {value!r}")
    return rate


def secret_setting(values: SettingValues, name: str) -> SecretStr | None:
    """The secret setting ``name`` (None when unset), wrapped so it never prints."""
    value = values.get(name)
    if value is None or isinstance(value, SecretStr):
        return value
    return SecretStr(str(value))
