"""Template files: the shipped YAML templates and an override directory, on disk.

:func:`load_templates` reads every ``*.yaml`` of the shipped directory, then of the
override directory (``DUEBOT_TEMPLATE_DIR``), into a
:class:`~bot.conversations.template_store.TemplateStore`, which parses and checks each
text; :func:`save_template` writes an edited template to the override directory once it
parses and compiles.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import bot
from bot.conversations.template_errors import TemplateFormatError
from bot.conversations.template_spec import TemplateSpec, parse_template
from bot.conversations.template_store import TemplateGate, TemplateStore

#: the templates shipped with duebot (format: ``bot/templates/README.md``)
SHIPPED_TEMPLATE_DIR = Path(bot.__file__).resolve().parent / "templates"


def load_templates(override_dir: Path | None = None, *,
                   shipped_dir: Path = SHIPPED_TEMPLATE_DIR,
                   strict: bool = True, check: TemplateGate | None = None,
                   checked_on_use: bool = False) -> TemplateStore:
    """The shipped templates, replaced by those of ``override_dir`` with the same id.

    ``strict`` raises the first problem; otherwise problems are kept in the store's
    ``problems`` and the bad files are skipped (a bad override removes the shipped
    template of its id). ``check``: what every template must pass too (the store keeps
    it, so later edits and reloads pass it as well). ``checked_on_use``: each text is
    parsed now, compiled and checked when first used (``TemplateStore``).
    """
    store = TemplateStore(check=check, checked_on_use=checked_on_use)
    dirs = [shipped_dir] + ([override_dir] if override_dir is not None else [])
    for directory in dirs:
        if not directory.is_dir():
            store.reject(str(directory), None, [TemplateFormatError(
                f"template directory {directory} does not exist")], strict=strict)
            continue
        for path in sorted(directory.glob("*.yaml")):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                store.reject(str(path), path.stem, [TemplateFormatError(
                    f"{path}: cannot read: {exc}")], strict=strict)
                continue
            store.add_text(text, source=str(path), template_id=path.stem, strict=strict)
    return store


def save_template(store: TemplateStore, override_dir: Path | None, text: str,
                  expected_id: str | None = None) -> TemplateSpec:
    """Validate an edited file, use it in ``store`` and write it to ``override_dir``
    atomically.

    Nothing is written unless the text parses and compiles; run the linter on the
    returned spec before calling this if content rules must hold too.
    """
    if override_dir is None:
        raise TemplateFormatError("no override directory configured (settings.template_dir)")
    spec = parse_template(text, source="<edit>", expected_id=expected_id)
    store.put(spec)
    override_dir.mkdir(parents=True, exist_ok=True)
    target = override_dir / f"{spec.id}.yaml"
    fd, tmp = tempfile.mkstemp(dir=override_dir, prefix=f".{spec.id}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return spec
