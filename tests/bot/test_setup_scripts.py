"""`make test` sets up its own browser: scripts/ensure-browser.sh, run against stand-in commands on PATH."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure-browser.sh"


def _command(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/bash\n{body}\n")
    path.chmod(0o755)


def _machine(tmp_path: Path, *, uid: int, browser: bool, apt: bool) -> dict[str, str]:
    """A PATH holding only stand-ins: id, fc-list, optionally chromium and an apt-get that 'installs' it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "grep", "cat", "chmod"):
        os.symlink(subprocess.check_output(["bash", "-c", f"command -v {tool}"], text=True).strip(), bin_dir / tool)
    _command(bin_dir, "id", f"echo {uid}")
    _command(bin_dir, "fc-list", f'[ -x "{bin_dir}/chromium" ] && echo "/usr/share/fonts/wqy-microhei.ttc: WenQuanYi Micro Hei"')
    if browser:
        _command(bin_dir, "chromium", "exit 0")
    if apt:
        _command(bin_dir, "apt-get", f'echo "$@" >> "{tmp_path}/apt.log"\nprintf \'#!/bin/bash\\nexit 0\\n\' > "{bin_dir}/chromium"\n'
                                      f'chmod 755 "{bin_dir}/chromium"')
    return {"PATH": str(bin_dir), "HOME": str(tmp_path)}


def _run(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30)


def test_nothing_happens_when_the_browser_is_there(tmp_path: Path) -> None:
    done = _run(_machine(tmp_path, uid=1000, browser=True, apt=False))
    assert done.returncode == 0 and done.stdout == "" and not (tmp_path / "apt.log").exists()


def test_root_with_apt_installs_chromium_and_the_chinese_fonts(tmp_path: Path) -> None:
    done = _run(_machine(tmp_path, uid=0, browser=False, apt=True))
    assert done.returncode == 0, done.stderr
    assert "install -y -q chromium fonts-wqy-microhei" in (tmp_path / "apt.log").read_text()


def test_anyone_else_is_stopped_with_the_one_command_to_run(tmp_path: Path) -> None:
    done = _run(_machine(tmp_path, uid=1000, browser=False, apt=True))
    assert done.returncode == 1
    assert "sudo apt-get install -y chromium fonts-wqy-microhei" in done.stderr
    assert not (tmp_path / "apt.log").exists()


def test_make_run_starts_one_rasa_process_per_core_unless_told(monkeypatch) -> None:
    import pytest

    from scripts.stack import default_rasa_processes

    monkeypatch.delenv("RASA_PROCESSES", raising=False)
    assert default_rasa_processes() == min(os.cpu_count() or 1, 4)
    monkeypatch.setenv("RASA_PROCESSES", "3")
    assert default_rasa_processes() == 3
    for wrong in ("0", "two", "-1"):
        monkeypatch.setenv("RASA_PROCESSES", wrong)
        with pytest.raises(SystemExit, match="RASA_PROCESSES"):
            default_rasa_processes()
