"""Loaded by the action server at start (rasa-sdk imports every module of this package): builds the knowledge
search now, with its ranker fitted and its example questions embedded, so the first customer does not wait the
dozen seconds that takes. Action tests import only the modules they test and skip this."""
from bot.actions import metrics
from bot.actions.knowledge_base import knowledge_search

metrics.install()

_search = knowledge_search()
_search.semantic  # noqa: B018  loads the e5 model and embeds every example question
