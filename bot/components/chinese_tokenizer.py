"""JiebaTokenizer that never emits whitespace tokens and reads typos as the words they mean.

Rasa's JiebaTokenizer turns each space of "燃气费 怎么 交" into a token of its own (RasaHQ/rasa #7910), which
shifts features and breaks entity spans. Voice transcripts and pasted text are full of spaces.

Typos and homophones of domain words (燃汽, 暧气, 点费, 头诉; core/spelling.py) are corrected before
jieba splits the text, and each token's lemma is the corrected word: the featurizers read lemmas, so 点费 and 电费
give the same features, while the token's text and position stay those of what the customer wrote (a correction
never changes the length), so entity spans are unchanged.
"""
from __future__ import annotations

import hashlib
import inspect
from pathlib import Path
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from core import spelling
from core.spelling import corrected


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class ChineseJiebaTokenizer(JiebaTokenizer):
    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The dictionary's words and the spelling table: Rasa's training cache keys a component by its class and
        config only, so without this a changed dictionary or table would be restored from the cache, stale (the
        tokenizer copies the dictionary into the model when it trains)."""
        digest = hashlib.sha256(inspect.getsource(spelling).encode())
        folder = config.get("dictionary_path")
        for path in sorted(Path(folder).glob("*")) if folder else []:
            if path.is_file():
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute)
        fixed = corrected(text) if isinstance(text, str) else text
        if fixed == text:
            return [token for token in super().tokenize(message, attribute) if token.text.strip()]
        tokens = super().tokenize(Message(data={attribute: fixed}), attribute)
        return [Token(text[token.start:token.end], token.start, token.end, lemma=token.text)
                for token in tokens if token.text.strip()]
