"""Disclosure levels: how much a text may reveal, and the variables each level may read."""

from __future__ import annotations

from enum import StrEnum


class Disclosure(StrEnum):
    """How much a text may reveal.

    ``limited``: what a stranger holding the phone or mailbox may read - brand name, a
    request to get in touch, how to reply or pay; no amount, no account number, no word
    that reveals a debt. ``verified``: full detail, only for a verified right party.
    """

    LIMITED = "limited"
    VERIFIED = "verified"



#: variables any text may use
LIMITED_VARIABLES = frozenset({
    "brand_name", "customer_name", "language", "locale", "pay_url", "support_phone",
    "support_email", "deep_link", "opt_out", "promise_date", "verify_method",
    "verify_attempts_left",
})
#: variables only verified bodies may use (never an email subject)
VERIFIED_ONLY_VARIABLES = frozenset({
    "account_id", "balance_minor", "currency", "due_date", "minimum_payment_minor",
    "promise_amount_minor", "plan_options", "days_past_due", "mini_miranda",
    "itemization_date", "itemization_amount_minor", "payments_since_minor", "validation_end",
})
VERIFIED_VARIABLES = LIMITED_VARIABLES | VERIFIED_ONLY_VARIABLES


def variables_for(disclosure: Disclosure) -> frozenset[str]:
    return VERIFIED_VARIABLES if disclosure is Disclosure.VERIFIED else LIMITED_VARIABLES
