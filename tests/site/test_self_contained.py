"""The checkout stands on its own: a clone into an empty folder must run and test. CI proves
it by running the suite in such a clone; this names the offending line before that."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A relative path ("../x"), judged by where it lands from the file that names it; and
# BASE_DIR.parent or a chain of parents in code, which always names something beside the tree.
RELATIVE = re.compile(r"(?:\.\./)+[\w.-]+")
CLIMBING = re.compile(r"BASE_DIR\.parent\b|parent\.parent\.parent\b")


def _outside(path, line):
    if CLIMBING.search(line):
        return True
    for match in RELATIVE.finditer(line):
        target = (path.parent / match.group()).resolve()
        if not target.is_relative_to(ROOT):
            return True
    return False


def _tracked_files():
    try:
        out = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: nothing to list")
    return [ROOT / name for name in out.splitlines()]


def test_no_tracked_file_reaches_outside_the_checkout():
    offenders = []
    for path in _tracked_files():
        if path.suffix not in {".py", ".md", ".html", ".toml", ".cfg", ".txt", ""}:
            continue
        if not path.is_file() or path.name == "test_self_contained.py":
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if _outside(path, line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_spec_example_is_part_of_the_repository():
    from demo.records import SPEC_EXAMPLE_PATH

    assert SPEC_EXAMPLE_PATH.is_relative_to(ROOT)
    assert '"generationId"' in SPEC_EXAMPLE_PATH.read_text()
