"""Load a script of ``scripts/`` as a module, and read its last ``NAME: key=value`` line."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"duebot_scripts_{name}", SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def last_line(output: str, name: str) -> dict[str, str]:
    """The ``key=value`` pairs of the last line starting with ``name:``."""
    line = [x for x in output.splitlines() if x.startswith(f"{name}: ")][-1]
    return dict(part.split("=", 1) for part in line.split()[1:])
