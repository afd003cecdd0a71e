"""The organisation as customers meet it: its name, contact points and payment link."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Brand:
    """What message templates say about the organisation, as plain values.

    Built from the settings at start-up (``Settings.brand``, exposed by bootstrap as
    ``Container.brand``) and handed to rendering, so the conversations never read the
    configuration themselves.
    """

    brand_name: str
    support_phone: str
    support_email: str
    pay_url: str
    #: the question that verifies a right party on chat: "dob" (date of birth) or
    #: "id_last4"; prompts name it
    verify_method: str = "dob"
