"""The repository stands alone: no file points a reader at documents outside it.

The contracts, formulas and Airflow facts a reader needs live in ``docs/``; a reference to a file beside
the checkout (a sibling folder, a design or notes file that is not in the repo) leaves a user with a dead
link. Relative links in Markdown must also resolve inside the repository.
"""

from __future__ import annotations

import re

import pytest

from almanac.demo.embedded import PROJECT_ROOT
from tests.unit.test_no_committed_secrets import repo_files

OUTSIDE = re.compile(r"\.\./shared|\bDESIGN\.md\b|\bAIRFLOW-NOTES(\.md)?\b|\bSTYLE\.md\b")
MARKDOWN_LINK = re.compile(r"\]\((?!https?://|#|mailto:)(?P<target>[^)#\s]+)")


def _text_files() -> list[str]:
    if not (PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    files = [name for name in repo_files() if (PROJECT_ROOT / name).is_file()]
    assert len(files) > 50  # the scan really looked at the repository
    return files


def test_no_file_points_outside_the_repository():
    found = []
    for name in _text_files():
        if name == "tests/unit/test_repo_stands_alone.py":
            continue
        try:
            text = (PROJECT_ROOT / name).read_text()
        except UnicodeDecodeError:
            continue
        found += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line)]
    assert not found, f"references to files outside the repository: {found}"


def test_relative_markdown_links_resolve_inside_the_repository():
    broken = []
    for name in _text_files():
        if not name.endswith(".md"):
            continue
        page = PROJECT_ROOT / name
        for match in MARKDOWN_LINK.finditer(page.read_text()):
            target = (page.parent / match["target"]).resolve()
            if not target.exists() or PROJECT_ROOT.resolve() not in target.parents:
                broken.append(f"{name} → {match['target']}")
    assert not broken, f"dead relative links: {broken}"
