"""The outside corpus of general-assistant requests (tests/outside/, sources and licences in SOURCE.md), with
the documented filter that removes any request a utility could be asked about: a request naming a utility, a bill,
a meter, a payment, an outage or a repair is not "unrelated" and is dropped before measuring."""
from __future__ import annotations

import json
import re
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "outside" / "requests.jsonl"
UTILITY_WORDS = re.compile(r"电费|电价|电表|供电|停电|来电|用电|电力|燃气|天然气|煤气|液化气|气费|气表|停气|暖气|供暖|供热|"
                           r"采暖|热水器|水费|水电|缴费|交费|账单|欠费|抄表|户号|报修|维修|抢修|安检|漏气|电线|电闸|跳闸")


def is_utility_related(text: str) -> bool:
    return UTILITY_WORDS.search(text) is not None


def load_outside_requests(path: Path = CORPUS) -> list[str]:
    """The corpus's requests minus the utility-related ones (is_utility_related)."""
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [t for t in texts if not is_utility_related(t)]


if __name__ == "__main__":
    texts = [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    dropped = [t for t in texts if is_utility_related(t)]
    print(f"{len(texts)} requests, {len(dropped)} removed as utility-related:", *dropped[:20], sep="\n  ")
