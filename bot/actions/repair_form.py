"""validate_repair_form: a fault report (报修) becomes a repair ticket. Slots and their checks: forms.py."""
from __future__ import annotations

from bot.actions.forms import TicketFormValidation
from bot.actions.outage_notices import NoticeFirst


class ValidateRepairForm(NoticeFirst, TicketFormValidation):
    """At an address under an outage notice, the notice is told first and a ticket made only if still wanted."""

    def name(self) -> str:
        return "validate_repair_form"
