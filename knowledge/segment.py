"""Chinese tokens for knowledge search: jieba with the bot's domain dictionary, plus character bigrams, read with
typos and homophones corrected (core/spelling.py).

A private jieba.Tokenizer keeps the user dictionary out of jieba's global state. Bigrams make the search
forgiving of typos and of words jieba splits differently in a question and in an entry.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jieba

from core.spelling import corrected
from knowledge.colloquial import with_handbook_words

DICTIONARY_DIR = Path(__file__).resolve().parent.parent / "bot" / "jieba_dict"
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[\w\u4e00-\u9fff]")
# Particles, pronouns and bare question words: they say nothing about which entry is meant.
STOPWORDS = frozenset("""的 了 吗 呢 啊 呀 吧 哦 嘛 么 啦 哈 嗯 喂 请问 您好 你好 一下 我 我们 我家 你们 你 您 这个 那个
    就 都 也 还 和 跟 在 是 怎么办 怎么样 怎么 怎样 如何 什么 啥 咋 咋办 是不是 有没有 能不能 可不可以 可以 能 麻烦
    想 问 问问 知道 告诉 一个 这样 那样 多长时间 多长 长时间 时间 多久 几天 多少 多少天 几个 会 得 给""".split())
_FILLER = re.compile("|".join(sorted((w for w in STOPWORDS if len(w) > 1), key=len, reverse=True)))

jieba.setLogLevel(60)


@lru_cache(maxsize=1)
def domain_terms() -> frozenset[str]:
    """The words of the domain dictionary: a question's topic, so they weigh double in search."""
    return frozenset(line.split()[0] for path in sorted(DICTIONARY_DIR.glob("*")) if path.is_file()
                     for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


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
    text = with_handbook_words(corrected(text.lower()))
    tokens = [w for w in segmenter().lcut_for_search(text) if _WORD.search(w) and w not in STOPWORDS]
    tokens.extend([w for w in tokens if w in domain_terms()])
    for run in _CJK_RUN.findall(_FILLER.sub(" ", text)):
        tokens.extend(f"#{run[i:i + 2]}" for i in range(len(run) - 1))
    return tokens
