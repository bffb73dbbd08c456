"""validate_complaint_form: a complaint (投诉) becomes a complaint ticket. Slots and their checks: forms.py."""
from __future__ import annotations

from bot.actions.forms import TicketFormValidation


class ValidateComplaintForm(TicketFormValidation):
    def name(self) -> str:
        return "validate_complaint_form"
