"""Compiled regex programs kept between ``duebot`` processes, in a cache directory.

The reply parser compiles its large lexicon alternations when it is imported; handing
it the programs an earlier process compiled (:mod:`bot.replies.regex_programs`) makes
the start of ``duebot parse`` several times faster. The directory is
``DUEBOT_CACHE_DIR``, else ``$XDG_CACHE_HOME/duebot``, else ``~/.cache/duebot``; the
file is named after the interpreter and regex engine versions it is valid for. The
variable is read here rather than through ``Settings``: ``duebot parse`` starts without
pydantic. The cache only saves time: whatever fails (no home directory, an unreadable
or corrupt file, a directory that cannot be written), the patterns are compiled afresh.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping

from bot.replies import regex_programs


def cache_dir(environ: Mapping[str, str] | None = None) -> str | None:
    """The cache directory for ``environ`` (default: this process's); None without one."""
    env = os.environ if environ is None else environ
    explicit = env.get("DUEBOT_CACHE_DIR")
    if explicit:
        return explicit
    xdg = env.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):  # the XDG spec: a relative path is to be ignored
        return os.path.join(xdg, "duebot")
    home = env.get("HOME") if environ is not None else os.path.expanduser("~")
    if not home or home == "~":
        return None
    return os.path.join(home, ".cache", "duebot")


def program_file(directory: str) -> str | None:
    """The file holding this interpreter's programs (None: programs are not reusable here)."""
    tag = regex_programs.PROGRAM_TAG
    return None if tag is None else os.path.join(directory, f"regex-{tag}.marshal")


def load(directory: str | None) -> bool:
    """Hand the cached programs to the parser, before it is imported; True if accepted."""
    path = program_file(directory) if directory else None
    if path is None:
        return False
    try:
        with open(path, "rb") as f:
            data = f.read()
    except (OSError, ValueError):
        return False
    return regex_programs.load_programs(data)


def save(directory: str | None) -> bool:
    """Store the programs if some pattern was compiled afresh (atomic); True if written."""
    path = program_file(directory) if directory else None
    if path is None or directory is None or not regex_programs.has_new_programs():
        return False
    data = regex_programs.export_programs()
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except (OSError, ValueError):
        with contextlib.suppress(OSError, ValueError):
            os.unlink(tmp)
        return False
    return True
