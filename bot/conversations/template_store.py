"""The templates in use, by id: parsed and compiled from texts an adapter reads.

``storage.template_files`` reads the shipped templates, then an override directory,
and hands each file's text to :meth:`TemplateStore.add_text`; the store parses and
compiles it (nothing here touches a file). A store with a ``check`` (the application's:
:class:`~bot.conversations.template_check.TemplateCheck`) takes in only templates that
pass it, whether they come from a file, a reload (:meth:`TemplateStore.replace_with`)
or an edit (:meth:`TemplateStore.put`).

A store made with ``checked_on_use=True`` parses every text when it is added, but
compiles and checks a template when it is first used (:meth:`TemplateStore.get`), or
all of them when they are listed: a command line that sends one template does not
compile and lint the 34 it ships (about a second), and still never renders a template
that has not passed. A template that fails then is refused with
:class:`~bot.conversations.template_check.TemplateCheckError` naming every finding,
each time it is asked for.
"""

from __future__ import annotations

import threading
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
    made them, e.g. the process that hands them to a planning process).
    ``checked_on_use``: texts added are compiled and checked when first used (see the
    module docs)."""

    def __init__(self, specs: Iterable[TemplateSpec] = (), *,
                 check: TemplateGate | None = None, checked_on_use: bool = False) -> None:
        self._specs: dict[str, TemplateSpec] = {}
        self.problems: list[LoadProblem] = []
        self.check = check
        self.checked_on_use = checked_on_use
        #: parsed, not yet compiled nor checked: id -> (spec, the file it came from)
        self._unchecked: dict[str, tuple[TemplateSpec, str]] = {}
        #: refused when first used: id -> the error every use raises
        self._refused: dict[str, Exception] = {}
        self._checking = threading.Lock()
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
            if self.checked_on_use:
                self._forget(spec.id)
                self._unchecked[spec.id] = (spec, source)
                return spec
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
            self._forget(template_id)

    def _forget(self, template_id: str) -> None:
        self._specs.pop(template_id, None)
        self._unchecked.pop(template_id, None)
        self._refused.pop(template_id, None)

    def _checked(self, template_ids: Iterable[str]) -> None:
        """Compile and check these unchecked templates (each once); raise
        :class:`TemplateCheckError` listing every finding of those that fail (and of
        those that failed before)."""
        wanted = [i for i in template_ids if i in self._unchecked or i in self._refused]
        if not wanted:
            return
        with self._checking:
            for template_id in wanted:
                taken = self._unchecked.pop(template_id, None)
                if taken is None:
                    continue
                spec, source = taken
                problems = compile_problems(spec)
                if not problems and self.check is not None:
                    problems = list(self.check(spec))
                if not problems:
                    self._specs[template_id] = spec
                    continue
                from bot.conversations.template_check import TemplateCheckError

                self._refused[template_id] = TemplateCheckError(
                    [text if source in text else f"{source}: {text}"
                     for text in map(str, problems)])
        refused = [self._refused[i] for i in wanted if i in self._refused]
        if len(refused) == 1:
            raise refused[0]
        if refused:
            from bot.conversations.template_check import TemplateCheckError

            raise TemplateCheckError([f for e in refused
                                      for f in getattr(e, "findings", [str(e)])])

    def __iter__(self) -> Iterator[TemplateSpec]:
        self._checked(sorted({*self._unchecked, *self._refused}))
        return iter(sorted(self._specs.values(), key=lambda s: s.id))

    def __len__(self) -> int:
        return len(self._specs) + len(self._unchecked) + len(self._refused)

    def __contains__(self, template_id: object) -> bool:
        return template_id in self._specs or template_id in self._unchecked or \
            template_id in self._refused

    def ids(self) -> list[str]:
        self._checked(sorted({*self._unchecked, *self._refused}))
        return sorted(self._specs)

    def get(self, template_id: str) -> TemplateSpec:
        try:
            return self._specs[template_id]
        except KeyError:
            pass
        self._checked([template_id])
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
        self._forget(spec.id)
        self._specs[spec.id] = spec

    def use_only(self, fresh: TemplateStore) -> None:
        """Use exactly ``fresh``'s templates and check (a start), in place."""
        self._specs = dict(fresh._specs)
        self._unchecked = dict(fresh._unchecked)
        self._refused = dict(fresh._refused)
        self.check = fresh.check
        self.problems = []

    def replace_with(self, fresh: TemplateStore) -> list[LoadProblem]:
        """A reload: use every template ``fresh`` loaded; a template whose file ``fresh``
        refused keeps the version in use (the last valid one), and a template no longer
        on disk stays until the next start. Returns the refused files' problems.

        The swap happens spec by spec in place, so renderers holding this store use the
        new texts at once (their caches are keyed by spec)."""
        for spec in fresh:
            self._forget(spec.id)
            self._specs[spec.id] = spec
        return list(fresh.problems)
