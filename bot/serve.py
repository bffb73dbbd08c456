"""`python -m bot.serve run ...`: Rasa's own command line, with our fixes to Rasa installed first.

Use it wherever `python -m rasa` would start the bot (scripts/stack.py, bot/Dockerfile). The fixes are in
bot/rasa_fixes/; the process keeps one compute thread per library (bot/compute_threads.py).
"""
from __future__ import annotations

from bot import compute_threads

compute_threads.one_per_process()   # before numpy and TensorFlow are loaded (bot/compute_threads.py)

from bot import rasa_fixes  # noqa: E402


def main() -> None:
    rasa_fixes.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
