"""What a template may print: the render context, built from a case and the brand."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bot.conversations.disclosure import Disclosure, variables_for
from bot.conversations.template_filters import locale_for

if TYPE_CHECKING:
    from bot.domain.brand import Brand
    from bot.domain.case import Case

#: Babel's locale lookup is pure and slow next to a render; cases repeat a few pairs
cached_locale_for = lru_cache(maxsize=256)(locale_for)


@dataclass(frozen=True, slots=True)
class PlanOption:
    """An instalment plan to offer: ``count`` payments of ``amount_minor``."""

    count: int
    amount_minor: int
    first_due: date | None = None


@dataclass(frozen=True)
class RenderContext:
    """Everything a template may print, and the disclosure level the recipient allows.

    Optional values left ``None`` are *not defined* in the template, so a text that
    prints one fails with a precise "undefined" error instead of printing "None";
    texts test them with ``{% if promise_amount_minor is defined %}``.
    """

    brand_name: str
    pay_url: str
    support_phone: str
    support_email: str
    disclosure: Disclosure = Disclosure.LIMITED
    language: str = "en"
    locale: str = "en_US"
    customer_name: str = ""
    deep_link: str | None = None
    verify_method: str = "dob"  # dob | id_last4 (Brand.verify_method)
    verify_attempts_left: int | None = None
    # case fields (verified only, except promise_date)
    account_id: str | None = None
    currency: str | None = None
    balance_minor: int | None = None
    due_date: date | None = None
    minimum_payment_minor: int | None = None
    days_past_due: int | None = None
    promise_amount_minor: int | None = None
    promise_date: date | None = None
    plan_options: tuple[PlanOption, ...] = field(default_factory=tuple)
    # the validation notice's itemisation (Reg F 1006.34(c)(2)): the amount on the
    # itemisation date (the due date), payments since, and the validation period's end
    itemization_date: date | None = None
    itemization_amount_minor: int | None = None
    payments_since_minor: int | None = None
    validation_end: date | None = None

    @classmethod
    def from_case(
        cls,
        case: Case,
        brand: Brand,
        *,
        disclosure: Disclosure = Disclosure.LIMITED,
        deep_link: str | None = None,
        plan_options: Iterable[PlanOption] = (),
        verify_attempts_left: int | None = None,
        validation_end: date | None = None,
    ) -> RenderContext:
        """Build the context for one case, as ``brand`` presents it; the next pending
        promise fills the promise. The itemisation runs from the due date: what was owed
        then is the balance plus the payments made since (duebot adds no interest or
        fees)."""
        pending = case.pending_promises()
        promise = pending[0] if pending else None
        paid_since = sum(p.amount_minor for p in case.payments
                         if p.paid_at.date() >= case.due_date)
        return cls(
            brand_name=brand.brand_name,
            pay_url=brand.pay_url,
            support_phone=brand.support_phone,
            support_email=brand.support_email,
            disclosure=disclosure,
            language=case.language,
            locale=cached_locale_for(case.language, case.country),
            customer_name=case.customer_name,
            deep_link=deep_link,
            verify_method=brand.verify_method,
            verify_attempts_left=verify_attempts_left,
            account_id=case.account_id,
            currency=case.currency,
            balance_minor=case.balance_minor,
            due_date=case.due_date,
            minimum_payment_minor=case.minimum_payment_minor,
            days_past_due=case.days_past_due,
            promise_amount_minor=promise.amount_minor if promise else None,
            promise_date=promise.due if promise else None,
            plan_options=tuple(plan_options),
            itemization_date=case.due_date,
            itemization_amount_minor=case.balance_minor + paid_since,
            payments_since_minor=paid_since,
            validation_end=validation_end,
        )

    def variables(self, disclosure: Disclosure) -> dict[str, Any]:
        """The template variables for a text of this level (None values left out)."""
        allowed = variables_for(disclosure)
        values = {name: getattr(self, name) for name in allowed if hasattr(self, name)}
        return {k: v for k, v in values.items() if v is not None}


def _next_promise_date(case: Case) -> date | None:
    pending = case.pending_promises()
    return pending[0].due if pending else None


#: How :meth:`RenderContext.from_case` fills each limited variable of the context, read
#: straight from the case and brand (``deep_link`` and ``verify_attempts_left`` are
#: arguments of ``from_case``, None by default; the renderer sets ``language`` and
#: ``opt_out``). :meth:`TemplateRenderer.render_case` uses it to find a cached limited
#: render without building a context; it must agree with ``from_case`` (the tests compare
#: the two).
LIMITED_FROM_CASE: dict[str, Callable[[Case, Brand], Any]] = {
    "brand_name": lambda case, brand: brand.brand_name,
    "pay_url": lambda case, brand: brand.pay_url,
    "support_phone": lambda case, brand: brand.support_phone,
    "support_email": lambda case, brand: brand.support_email,
    "locale": lambda case, brand: cached_locale_for(case.language, case.country),
    "customer_name": lambda case, brand: case.customer_name,
    "deep_link": lambda case, brand: None,
    "verify_method": lambda case, brand: brand.verify_method,
    "verify_attempts_left": lambda case, brand: None,
    "promise_date": lambda case, brand: _next_promise_date(case),
}
