"""A collector's reply started from a template: the template rendered for the case, in
its language, on the channel the reply goes by, at the level that contact point allows
(verified detail only to a verified right party, never by SMS). The collector edits the
text and sends it as their own reply (:meth:`bot.services.desk.CaseDesk.reply`)."""

from __future__ import annotations

from bot.conversations.template_errors import TemplateError
from bot.domain.messages import ChannelKind
from bot.services import handoff
from bot.services.outbound import contact_for
from bot.services.ports import UnitOfWorkFactory
from bot.services.reply_texts import ReplyTexts
from bot.services.roles import Actor, Permission, authorize

#: templates a collector may start a reply from (answers, not campaign steps)
REPLY_TEMPLATES = ("how_to_pay", "balance_info", "plan_options", "ask_promise_date",
                   "callback_ack", "dispute_ack", "handoff_ack", "paid_ack",
                   "promise_confirmed", "courtesy_reminder")


class ReplyDrafts:
    def __init__(self, uow_factory: UnitOfWorkFactory, texts: ReplyTexts) -> None:
        self.uow_factory = uow_factory
        self.texts = texts

    def templates(self) -> list[str]:
        """The reply templates the store has."""
        store = self.texts.renderer.store
        return [t for t in REPLY_TEMPLATES if t in store]

    def draft(self, actor: Actor, account_id: str, template_id: str,
              channel: ChannelKind | None = None) -> str:
        """The text of ``template_id`` for the case (default channel: the one the
        customer last wrote on, else the first usable one)."""
        if template_id not in self.templates():
            raise handoff.HandoffError(f"{template_id!r} is not a reply template (use one "
                                       f"of: {', '.join(self.templates())})")
        with self.uow_factory() as uow:
            case = uow.cases.get(account_id)
            if case is None or case.id is None:
                raise handoff.NotFound(f"no case with account id {account_id!r}")
            authorize(actor, Permission.REPLY, case)
            if channel is None:
                channel = uow.messages.last_inbound_channel(case.id)
        kinds = [channel] if channel else [ChannelKind.TELEGRAM, ChannelKind.EMAIL,
                                           ChannelKind.SMS]
        cp = next((c for c in (contact_for(case, k) for k in kinds) if c is not None), None)
        if cp is None:
            raise handoff.HandoffError("no usable contact point on that channel (opted out "
                                       "or invalid)")
        try:
            rendered = self.texts.renderer.render(template_id, case.language, cp.channel,
                                                  self.texts.context_for(case, cp))
        except TemplateError as exc:
            raise handoff.HandoffError(f"{template_id} cannot be written for this case: "
                                       f"{exc}") from None
        return rendered.body
