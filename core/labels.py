"""What agents read for each code: one table, served to the console (GET /agent/api/labels) rather than copied
into its script."""
from __future__ import annotations

from core.ids import Channel, TicketKind, TicketStatus

FINAL_STATUSES = (TicketStatus.DONE, TicketStatus.CLOSED, TicketStatus.REFUSED)

LABELS: dict[str, dict[str, str]] = {
    "priority": {"emergency": "紧急", "urgent": "加急", "normal": "普通"},
    "channel": {Channel.WEB.value: "网页", Channel.WECHAT.value: "微信", Channel.VOICE.value: "电话",
                Channel.REST.value: "接口"},
    "reason": {"request_human": "客户要求人工", "repeated_fallback": "多次未能理解", "complaint_escalation": "投诉升级",
               "emergency": "紧急险情", "form_failed": "信息登记未完成", "bot_unavailable": "系统繁忙转人工",
               "voice_no_input": "电话无应答", "voice_no_match": "电话未听清", "transfer_failed": "转接失败回电"},
    "role": {"agent": "客服", "supervisor": "主管", "reviewer": "审核员"},
    "ticketType": {TicketKind.REPAIR.value: "报修", TicketKind.INSTALLATION.value: "报装",
                   TicketKind.COMPLAINT.value: "投诉", TicketKind.CALLBACK.value: "回电"},
    "utility": {"gas": "燃气", "electricity": "电力", "heat": "供热"},
    "speaker": {"customer": "客户", "bot": "智能客服", "agent": "人工客服", "system": "系统"},
    "customer": {"phone": "电话", "account_no": "户号", "address": "地址", "name": "姓名"},
    "area": {"urban": "城区", "rural": "农村", "remote": "特殊边远地区"},
}


def console_labels(companies: dict[str, str]) -> dict:
    """The labels, the company names, and the ticket statuses in order with the final ones."""
    return {**LABELS, "company": companies, "statuses": [status.value for status in TicketStatus],
            "final_statuses": [status.value for status in FINAL_STATUSES]}
