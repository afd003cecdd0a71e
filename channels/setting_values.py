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


def secret_setting(values: SettingValues, name: str) -> SecretStr | None:
    """The secret setting ``name`` (None when unset), wrapped so it never prints."""
    value = values.get(name)
    if value is None or isinstance(value, SecretStr):
        return value
    return SecretStr(str(value))
