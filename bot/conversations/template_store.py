"""The templates in use, by id: parsed and compiled from texts an adapter reads.

``storage.template_files`` reads the shipped templates, then an override directory,
and hands each file's text to :meth:`TemplateStore.add_text`; the store parses and
compiles it (nothing here touches a file). A store with a ``check`` (the application's:
:class:`~bot.conversations.template_check.TemplateCheck`) takes in only templates that
pass it, whether they come from a file, a reload (:meth:`TemplateStore.replace_with`)
or an edit (:meth:`TemplateStore.put`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from bot.conversations.template_compiler import compile_problems
from bot.conversations.template_errors import TemplateError, UnknownTemplateError
from bot.conversations.template_spec import TemplateSpec, parse_template


@dataclass
class LoadProblem:
    """A file that could not be loaded (kept so a linter can list every problem)."""

    path: str
    error: TemplateError


#: what a store checks a template with before using it: every problem, none when fine
TemplateGate = Callable[[TemplateSpec], Sequence[TemplateError]]


class TemplateStore:
    """The templates in use, by id; a later text with an id replaces an earlier one.

    ``check``: every template is checked before it is used (parsed, compiled, then this);
    specs handed to the constructor are taken as they are (already checked by whoever
    made them, e.g. the process that hands them to a planning process)."""

    def __init__(self, specs: Iterable[TemplateSpec] = (), *,
                 check: TemplateGate | None = None) -> None:
        self._specs: dict[str, TemplateSpec] = {}
        self.problems: list[LoadProblem] = []
        self.check = check
        for spec in specs:
            self._specs[spec.id] = spec

    def add_text(self, text: str, *, source: str, template_id: str,
                 strict: bool = True) -> TemplateSpec | None:
        """Parse and compile one template file's text (``source`` names it in errors;
        the id in it must be ``template_id``, the file's name) and use it.

        A text with problems is refused (see :meth:`reject`): None.
        """
        try:
            spec = parse_template(text, source=source, expected_id=template_id)
            problems = compile_problems(spec)
        except TemplateError as err:
            problems = [err]
        if not problems and self.check is not None:
            problems = list(self.check(spec))
        if problems:
            self.reject(source, template_id, problems, strict=strict)
            return None
        self._specs[spec.id] = spec
        return spec

    def reject(self, source: str, template_id: str | None, errors: list[TemplateError], *,
               strict: bool = True) -> None:
        """Refuse a file: ``strict`` raises the first error, otherwise the errors are kept
        in :attr:`problems` and any template of that id is dropped too: a broken
        override never falls back to the shipped copy."""
        if strict:
            raise errors[0]
        self.problems.extend(LoadProblem(source, err) for err in errors)
        if template_id is not None:
            self._specs.pop(template_id, None)

    def __iter__(self) -> Iterator[TemplateSpec]:
        return iter(sorted(self._specs.values(), key=lambda s: s.id))

    def __len__(self) -> int:
        return len(self._specs)

    def __contains__(self, template_id: object) -> bool:
        return template_id in self._specs

    def ids(self) -> list[str]:
        return sorted(self._specs)

    def get(self, template_id: str) -> TemplateSpec:
        try:
            return self._specs[template_id]
        except KeyError:
            raise UnknownTemplateError(f"no template {template_id!r}",
                                       template_id=template_id) from None

    def put(self, spec: TemplateSpec) -> None:
        """Replace a template in memory once it compiles and passes the check; raises the
        first problem otherwise (the store is unchanged)."""
        problems = compile_problems(spec)
        if not problems and self.check is not None:
            problems = list(self.check(spec))
        if problems:
            raise problems[0]
        self._specs[spec.id] = spec

    def use_only(self, fresh: TemplateStore) -> None:
        """Use exactly ``fresh``'s templates and check (a start), in place."""
        self._specs = dict(fresh._specs)
        self.check = fresh.check
        self.problems = []

    def replace_with(self, fresh: TemplateStore) -> list[LoadProblem]:
        """A reload: use every template ``fresh`` loaded; a template whose file ``fresh``
        refused keeps the version in use (the last valid one), and a template no longer
        on disk stays until the next start. Returns the refused files' problems.

        The swap happens spec by spec in place, so renderers holding this store use the
        new texts at once (their caches are keyed by spec)."""
        for spec in fresh:
            self._specs[spec.id] = spec
        return list(fresh.problems)
