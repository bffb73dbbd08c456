"""Chinese tokens for knowledge search: jieba with the bot's domain dictionary, plus character bigrams.

A private jieba.Tokenizer keeps the user dictionary out of jieba's global state. Bigrams make the search
forgiving of typos and of words jieba splits differently in a question and in an entry.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jieba

DICTIONARY_DIR = Path(__file__).resolve().parent.parent / "bot" / "jieba_dict"
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[\w\u4e00-\u9fff]")
STOPWORDS = frozenset("的 了 吗 呢 啊 呀 吧 哦 嘛 么 啦 哈 嗯 喂 请问 您好 你好 一下 我 我们 我家 你们 你 您 这个 那个 就 都 也 还 和 跟 在 是".split())

jieba.setLogLevel(60)


@lru_cache(maxsize=1)
def segmenter() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    for path in sorted(DICTIONARY_DIR.glob("*")):
        if path.is_file():
            tokenizer.load_userdict(str(path))
    return tokenizer


def words(text: str) -> list[str]:
    """jieba words of the text, as the NLU pipeline sees them (no whitespace tokens)."""
    return [w for w in segmenter().lcut(text) if w.strip()]


def search_tokens(text: str) -> list[str]:
    text = text.lower()
    tokens = [w for w in segmenter().lcut_for_search(text) if _WORD.search(w) and w not in STOPWORDS]
    for run in _CJK_RUN.findall(text):
        tokens.extend(f"#{run[i:i + 2]}" for i in range(len(run) - 1))
    return tokens
