"""Pressure and threat pattern files: one YAML file per language, on disk.

:func:`load_pressure_lexicon` reads every ``*.yaml`` of the shipped directory
(``bot/policy/pressure_patterns``); parsing and checking each file is
:func:`bot.policy.pressure.parse_language_rules`'s job.
"""

from __future__ import annotations

import functools
from pathlib import Path

import bot
from bot.policy.pressure import PressureLexicon, PressureRulesError, parse_language_rules

#: the pattern files shipped with duebot (format: README.md in that directory)
SHIPPED_PRESSURE_DIR = Path(bot.__file__).resolve().parent / "policy" / "pressure_patterns"


def load_pressure_lexicon(directory: Path = SHIPPED_PRESSURE_DIR) -> PressureLexicon:
    """Every language file of ``directory``; :class:`PressureRulesError` names the first
    file that cannot be used (a start-up must not go on with fewer rules)."""
    if not directory.is_dir():
        raise PressureRulesError(f"pattern directory {directory} does not exist")
    languages = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PressureRulesError(f"{path}: cannot read: {exc}") from None
        rules = parse_language_rules(text, source=str(path))
        if rules.language != path.stem:
            raise PressureRulesError(f"{path}: language {rules.language!r} does not match "
                                     "the file name")
        languages.append(rules)
    if not languages:
        raise PressureRulesError(f"no pattern files in {directory}")
    return PressureLexicon(languages)


@functools.cache
def shipped_pressure_lexicon() -> PressureLexicon:
    """The shipped patterns, read once per process."""
    return load_pressure_lexicon()
