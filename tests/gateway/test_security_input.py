"""Hostile input at the edge: non-standard JSON, lone surrogates and control characters are refused or
stripped with a clear 4xx, never a 500 or a database error."""
from __future__ import annotations

import pytest

from tests.gateway.conftest import widget_session


@pytest.mark.parametrize("body", [b'{"text": NaN}', b'{"text": Infinity}', b'{"text": "\\ud800"}',
                                  b'{"text": "\\u71c3\\ud800\\u6c14"}'])
def test_non_standard_json_is_refused_with_422_not_500(client, body) -> None:
    headers = {**widget_session(client)[0], "Content-Type": "application/json"}
    assert client.post("/api/widget/messages", content=body, headers=headers).status_code == 422
    login = client.post("/agent/api/login", content=body.replace(b'"text"', b'"username"'),
                        headers={"Content-Type": "application/json"})
    assert login.status_code == 422



def test_control_characters_are_stripped_at_the_edge_not_refused_by_the_database(client) -> None:
    headers, _ = widget_session(client)
    reply = client.post("/api/widget/messages", json={"text": "燃气费\u0000在哪交"}, headers=headers)
    assert reply.status_code == 200
    stored = client.get("/api/widget/messages", headers=headers).json()["messages"][0]["text"]
    assert stored == "燃气费在哪交"
