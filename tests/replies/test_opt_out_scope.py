"""opt_out_scope (LABELING.md): which media an opt-out stops; the minimal hook issue #12
needs (the reply-understanding work owns the parser)."""

from __future__ import annotations

import pytest
from replies_helpers import parse


@pytest.mark.parametrize(("text", "scope"), [
    ("STOP", ("this",)),
    ("stop sending these", ("this",)),
    ("remove this number", ("this",)),
    ("别再发了", ("this",)),
    ("don't email me again", ("email",)),
    ("stop texting me", ("sms",)),
    ("stop texting and emailing me", ("sms", "email")),
    ("stop calling my work", ("calls",)),
    ("别发短信了，打电话给我", ("sms",)),
    ("stop texting me, call me instead", ("sms",)),
    ("don't contact me at all", ("all",)),
    ("leave me alone", ("all",)),
    ("remove me from your list", ("all",)),
    ("不要再联系我", ("all",)),
    ("cease and desist", ("all",)),
])
def test_scope_of_an_opt_out(text, scope):
    reply = parse(text)
    assert reply.opt_out and reply.opt_out_scope == scope, (text, reply.opt_out_scope)


def test_no_scope_without_an_opt_out():
    reply = parse("text me instead")
    assert not reply.opt_out and reply.opt_out_scope == ()
