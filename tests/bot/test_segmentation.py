"""Pins how domain words split: entity spans and features depend on it (see docs/nlu_guidelines.md)."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from bot.components.chinese_tokenizer import ChineseJiebaTokenizer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory) -> ChineseJiebaTokenizer:
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    config = {**ChineseJiebaTokenizer.get_default_config(), "dictionary_path": str(ROOT / "bot/jieba_dict")}
    return ChineseJiebaTokenizer.create(config, storage, Resource("tokenizer"), ExecutionContext(GraphSchema({}), "t"))


def words(tokenizer: ChineseJiebaTokenizer, text: str) -> list[str]:
    return [t.text for t in tokenizer.tokenize(Message(data={"text": text}), "text")]


@pytest.mark.parametrize("text, expected", [
    ("燃气费怎么交", ["燃气费", "怎么", "交"]),
    ("我家燃气表不走字了", ["我家", "燃气", "表不走字", "了"]),
    ("户号是12345678", ["户号", "是", "12345678"]),
    ("置换通气要几天", ["置换通气", "要", "几天"]),
    ("拆改移燃气管道", ["拆改移", "燃气", "管道"]),
    ("改装迁移需要什么材料", ["改装迁移", "需要", "什么", "材料"]),
    ("厨房有煤气味", ["厨房", "有", "煤气味"]),
    ("我要转人工", ["我要", "转人工"]),
    ("昆仑燃气营业厅在哪", ["昆仑", "燃气", "营业厅", "在", "哪"]),
    ("电表跳闸了", ["电表", "跳闸", "了"]),
])
def test_domain_words_split_as_the_annotations_expect(tokenizer, text: str, expected: list[str]) -> None:
    assert words(tokenizer, text) == expected


def test_spaces_never_become_tokens(tokenizer) -> None:
    assert words(tokenizer, "燃气费  怎么 交 ") == ["燃气费", "怎么", "交"]


def test_token_offsets_still_point_into_the_original_text(tokenizer) -> None:
    text = "我家 燃气表 不走字"
    for token in tokenizer.tokenize(Message(data={"text": text}), "text"):
        assert text[token.start:token.end] == token.text
