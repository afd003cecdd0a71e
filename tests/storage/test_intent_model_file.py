"""The shipped reply model is read from package data, once per process."""

from __future__ import annotations

from importlib import resources

from bot.replies.intent_model import IntentModel
from storage.intent_model_file import ARTIFACT, load_intent_model


def test_the_artifact_ships_in_the_package_and_loads_once() -> None:
    package, name = ARTIFACT
    assert resources.files(package).joinpath(name).is_file()
    model = load_intent_model()
    assert isinstance(model, IntentModel) and load_intent_model() is model
