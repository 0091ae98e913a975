"""The lock files pin every package pyproject.toml asks for, within its ranges (`make lock`)."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.MULTILINE)


def pins(name):
    text = (ROOT / "requirements" / name).read_text()
    return {canonicalize_name(package): version for package, version in PIN.findall(text)}


def wanted(*extras):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = list(project["dependencies"])
    for extra in extras:
        listed += project["optional-dependencies"][extra]
    return [Requirement(line) for line in listed]


@pytest.mark.parametrize(("lock", "extras"), [("base.txt", ()), ("dev.txt", ("dev",))])
def test_every_dependency_is_pinned_within_its_range(lock, extras):
    pinned = pins(lock)
    missing = [str(r) for r in wanted(*extras) if canonicalize_name(r.name) not in pinned]
    assert missing == [], f"not in requirements/{lock}: {missing}; run `make lock`"
    outside = [
        f"{r.name}=={pinned[canonicalize_name(r.name)]} (wants {r.specifier})"
        for r in wanted(*extras)
        if not r.specifier.contains(pinned[canonicalize_name(r.name)], prereleases=True)
    ]
    assert outside == [], f"requirements/{lock} is out of date: {outside}; run `make lock`"


def test_the_runtime_lock_agrees_with_the_development_one():
    dev = pins("dev.txt")
    differ = {name: (pin, dev.get(name)) for name, pin in pins("base.txt").items()}
    assert {name: pair for name, pair in differ.items() if pair[0] != pair[1]} == {}


def test_every_pin_has_a_hash():
    for lock in ("base.txt", "dev.txt"):
        text = (ROOT / "requirements" / lock).read_text()
        for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n\n", 1)[-1]):
            if PIN.match(block):
                assert "--hash=sha256:" in block, block.splitlines()[0]
