"""The hand-kept list of slow test modules that start first (tests/conftest.py) names modules that exist:
a renamed module would silently lose its place and CI its balance."""

from pathlib import Path

from tests.conftest import SLOWEST_MODULES


def test_every_listed_slow_module_exists_once():
    tests = Path(__file__).resolve().parents[1]
    for name in SLOWEST_MODULES:
        assert len(list(tests.rglob(name))) == 1, f"SLOWEST_MODULES names {name}: not exactly one such test module"
    assert len(set(SLOWEST_MODULES)) == len(SLOWEST_MODULES)
