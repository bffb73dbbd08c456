"""`rasa data validate` that fails on every warning, except those Rasa itself lists as expected noise and
one false positive it checks itself.

Rasa warns that a response "is not used in any story or rule" when only a custom action sends it. Such a
warning is accepted only when an action in bot/actions/ names the response; anything else fails.
"""
from __future__ import annotations

import re
import sys
import warnings

from rasa.cli.utils import validate_files
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.utils.common import EXPECTED_WARNINGS

from scripts.model import BOT, ROOT

UNUSED_RESPONSE = re.compile(r"The utterance '(utter_\w+)' is not used in any story or rule")


def responses_sent_by_actions() -> set[str]:
    return {name for path in (BOT / "actions").glob("*.py")
            for name in re.findall(r"\butter_\w+", path.read_text(encoding="utf-8"))}


def main() -> None:
    importer = TrainingDataImporter.load_from_config(
        str(BOT / "config.yml"), str(BOT / "domain"), [str(BOT / "data")])
    sent = responses_sent_by_actions()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validate_files(fail_on_warnings=True, max_history=None, importer=importer)
    problems = []
    for warning in caught:
        message = str(warning.message)
        if not issubclass(warning.category, UserWarning) or any(
                issubclass(warning.category, kind) and re.match(pattern, message)
                for kind, pattern in EXPECTED_WARNINGS):
            continue
        unused = UNUSED_RESPONSE.search(message)
        if unused and unused.group(1) in sent:
            continue
        problems.append(message)
    for problem in problems:
        print(f"validation warning: {problem}", file=sys.stderr)
    if problems:
        sys.exit(f"{len(problems)} validation warning(s) in {ROOT / 'bot'}")
    print(f"Domain, NLU data and rules are valid ({len(sent)} responses sent by custom actions).")


if __name__ == "__main__":
    main()
