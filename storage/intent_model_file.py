"""The reply parser's learned model, read from the package data it ships as.

``bot/replies/intent_model.json`` is written by ``scripts/train_intent_model.py``. The
parser is pure and reads no file, so whoever starts the application reads the artifact
here and hands the model in: ``duebot parse`` (``bot/entrypoints/cli.py``) and the
application's container (``bot/bootstrap.py``, through ``DialogSettings``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from bot.replies.intent_model import IntentModel

#: Where the artifact lives: a package and a file name inside it.
ARTIFACT = ("bot.replies", "intent_model.json")


@cache
def load_intent_model() -> IntentModel:
    """The shipped model (read once per process). A missing or corrupt artifact is a
    broken installation: ``OSError`` or ``ValueError``."""
    package, name = ARTIFACT
    return IntentModel.from_bytes(resources.files(package).joinpath(name).read_bytes())
