"""`python -m bot.serve run ...`: Rasa's own command line, with our fixes to Rasa installed first.

Use it wherever `python -m rasa` would start the bot (scripts/stack.py, bot/Dockerfile). The fixes are in
bot/rasa_fixes/.
"""
from __future__ import annotations

from bot import rasa_fixes


def main() -> None:
    rasa_fixes.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
