"""Typos and voice homophones of domain words are read as the words meant, everywhere the wording is read:
the tokenizer's lemmas (the NLU's features), the message-kind cues, the hazard override and knowledge search."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.chinese_tokenizer import ChineseJiebaTokenizer
from bot.components.hazard_override import HazardIntentOverride
from bot.components.message_kind_patterns import names_a_utility_topic
from core.spelling import _CORRECTIONS, corrected
from knowledge.segment import search_tokens

ROOT = Path(__file__).resolve().parents[1].parent


@pytest.mark.parametrize("typed, meant", [
    ("燃汽费怎么交", "燃气费怎么交"),
    ("然气表不走了", "燃气表不走了"),
    ("天然气多少钱一方", "天然气多少钱一方"),
    ("天燃气开户", "天然气开户"),
    ("暧气不热", "暖气不热"),
    ("暖器片漏水", "暖气片漏水"),
    ("点费在哪交", "电费在哪交"),
    ("头诉多久回复", "投诉多久回复"),
    ("我写了举抱信", "我写了举报信"),
    ("窃点会判刑吗", "窃电会判刑吗"),
    ("家里停汽了", "家里停气了"),
    ("燃气灶坏了要保修", "燃气灶坏了要报修"),
])
def test_typos_and_homophones_read_as_meant(typed: str, meant: str) -> None:
    assert corrected(typed) == meant


@pytest.mark.parametrize("text", ["电取暖器多少瓦", "燃气灶保修期多久", "偷点懒", "天然气", "汽车加油", "蒸汽"])
def test_real_words_are_left_alone(text: str) -> None:
    assert corrected(text) == text


def test_every_correction_keeps_the_length() -> None:
    typed = ["燃汽", "燃器", "然气", "天燃气", "煤汽", "停汽", "气废", "暧气", "暖器", "暖汽", "共暖", "点费", "电废",
             "停点", "窃点", "偷点了", "电标", "抄标", "交废", "缴废", "报休", "保修", "抢休", "维休", "头诉", "投述",
             "举抱", "报撞", "营业听", "过护", "消户", "户好", "申情"]
    for text in typed:
        assert corrected(text) != text, text
        assert len(corrected(text)) == len(text), text
    assert len(_CORRECTIONS) >= 20


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory) -> ChineseJiebaTokenizer:
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    config = {**ChineseJiebaTokenizer.get_default_config(), "dictionary_path": str(ROOT / "bot/jieba_dict")}
    return ChineseJiebaTokenizer.create(config, storage, Resource("tokenizer"), ExecutionContext(GraphSchema({}), "t"))


def test_the_tokenizer_gives_the_meant_word_as_lemma_and_keeps_what_was_written(tokenizer) -> None:
    typed, meant = "我家燃汽费 怎么交", "我家燃气费 怎么交"
    typo_tokens = tokenizer.tokenize(Message(data={TEXT: typed}), TEXT)
    plain_tokens = tokenizer.tokenize(Message(data={TEXT: meant}), TEXT)
    assert [t.lemma for t in typo_tokens] == [t.text for t in plain_tokens]
    assert [(t.start, t.end) for t in typo_tokens] == [(t.start, t.end) for t in plain_tokens]
    assert [t.text for t in typo_tokens] == [typed[t.start:t.end] for t in typo_tokens]
    assert "燃汽费" in [t.text for t in typo_tokens]


def test_a_danger_written_with_a_homophone_is_an_emergency() -> None:
    message = Message(data={TEXT: "屋里好像漏汽了", INTENT: {INTENT_NAME_KEY: "ask_process", "confidence": 0.9}})
    HazardIntentOverride().process([message])
    assert message.get(INTENT)[INTENT_NAME_KEY] == "report_emergency"


def test_typos_are_utility_words_and_search_tokens() -> None:
    assert names_a_utility_topic("头诉多久回复")
    assert search_tokens("点费在哪查") == search_tokens("电费在哪查")


def test_a_changed_dictionary_changes_the_tokenizers_training_fingerprint(tmp_path) -> None:
    (tmp_path / "words.txt").write_text("供电方式 300 n\n", encoding="utf-8")
    before = ChineseJiebaTokenizer.fingerprint_addon({"dictionary_path": str(tmp_path)})
    (tmp_path / "words.txt").write_text("供电方式 300 n\n高压供电 300 n\n", encoding="utf-8")
    assert ChineseJiebaTokenizer.fingerprint_addon({"dictionary_path": str(tmp_path)}) != before
