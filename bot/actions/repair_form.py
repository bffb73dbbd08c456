"""validate_repair_form: a fault report (报修) becomes a repair ticket. Slots and their checks: forms.py."""
from __future__ import annotations

from bot.actions.forms import TicketFormValidation


class ValidateRepairForm(TicketFormValidation):
    def name(self) -> str:
        return "validate_repair_form"
