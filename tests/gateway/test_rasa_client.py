"""Conversations are pinned to one Rasa process (Rasa 3.6's lock store is not safe across processes)."""
from gateway.rasa_client import RasaClient


def test_each_conversation_is_pinned_to_one_rasa_process_and_the_load_is_shared() -> None:
    client = RasaClient("http://127.0.0.1:5005, http://127.0.0.1:5006", 1.0)
    ids = [f"web:{i}" for i in range(1000)]
    assert all(client.pinned(i) is client.pinned(i) for i in ids)
    first = sum(client.pinned(i) is client._clients[0] for i in ids)
    assert 400 < first < 600
