"""Train the Rasa model only when its inputs changed, and run the conversation test stories.

The model is named after a hash of everything that shapes it (config, domain, NLU and dialogue data,
custom components, jieba dictionary, Rasa version), so an unchanged bot is never retrained. Trained models
are also kept in a per-user cache, shared by every clone on the machine.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
MODELS = BOT / "models"
INPUTS = ["config.yml", "domain", "data", "components", "jieba_dict"]
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "utility-assistant" / "models"


def input_files() -> list[Path]:
    files: list[Path] = []
    for name in INPUTS:
        path = BOT / name
        files.extend(sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
                     if path.is_dir() else [path])
    return files


def model_hash() -> str:
    import rasa

    digest = hashlib.sha256(f"rasa {rasa.__version__}\n".encode())
    for path in input_files():
        digest.update(str(path.relative_to(BOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return MODELS / f"{model_hash()}.tar.gz"


def rasa(*args: str, module: str = "rasa") -> None:
    subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, check=True)


def train() -> Path:
    target = model_path()
    cached = CACHE / target.name
    if target.exists():
        print(f"Model up to date: {target.relative_to(ROOT)}")
        return target
    MODELS.mkdir(parents=True, exist_ok=True)
    if cached.exists():
        shutil.copy2(cached, target)
        print(f"Model restored from cache: {cached}")
        return target
    started = time.monotonic()
    rasa("train", "--config", "bot/config.yml", "--domain", "bot/domain", "--data", "bot/data",
         "--out", str(MODELS), "--fixed-model-name", target.name.removesuffix(".tar.gz"))
    print(f"Trained {target.relative_to(ROOT)} in {time.monotonic() - started:.0f} s")
    CACHE.mkdir(parents=True, exist_ok=True)
    shutil.copy2(target, cached)
    return target


def test_stories() -> None:
    """Conversation tests: fail when any test story's predicted actions differ from the expected ones. Run by
    bot.serve, as the bot is served: with the fixes to Rasa's code (bot/rasa_fixes/) installed."""
    rasa("test", "core", "--model", str(train()), "--stories", "tests/conversations",
         "--out", "bot/results", "--fail-on-prediction-errors", module="bot.serve")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "train"
    {"train": train, "path": lambda: print(model_path()), "test-stories": test_stories}[command]()
