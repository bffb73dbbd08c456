"""The deployment's bindings of channels to companies, read and checked without starting the stack."""
from __future__ import annotations

from pathlib import Path

import pytest

from gateway.bindings import load_bindings

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "bindings.example.yml"


def test_the_example_file_binds_numbers_and_falls_back_to_the_default() -> None:
    bindings = load_bindings(EXAMPLE)
    assert bindings.for_called_number("0993-95598") == "tianfu"
    assert bindings.for_called_number("12345") == "kunlun", "an unmapped number gets the default company"


def test_no_file_means_unbound() -> None:
    assert load_bindings(None).for_called_number("95158") is None


def test_an_unknown_company_is_refused_at_start(tmp_path: Path) -> None:
    path = tmp_path / "bindings.yml"
    path.write_text("default_company: acme\n", encoding="utf-8")
    with pytest.raises(ValueError, match="acme"):
        load_bindings(path)
