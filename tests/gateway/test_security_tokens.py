"""Each API takes only its own credential: widget tokens are for the widget's own (web:) conversations."""
from __future__ import annotations


def test_a_widget_token_for_another_channels_conversation_is_refused(client) -> None:
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer("test-session-secret-0123456789abcdef", salt="widget-session").dumps(
        {"c": "wechat:o_somebody"})
    assert client.get("/api/widget/messages", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
