"""mypy on ``tensorish/`` against a baseline that may only shrink.

``python .ci/mypy_check.py`` runs mypy (config: ``[tool.mypy]`` in pyproject.toml) and compares
its errors with ``.ci/mypy-baseline.txt``, one ``path: message  [code]`` a line, line numbers
left out so that edits elsewhere in a file do not move them. It fails on an error the baseline
lacks (fix it), and on a baseline error that is gone (run ``python .ci/mypy_check.py --update``
to shrink the baseline, so that the count only goes down). ``--update`` refuses to add errors.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / ".ci" / "mypy-baseline.txt"
_ERROR = re.compile(r"^(?P<path>[^:]+):\d+(?::\d+)?: error: (?P<message>.*)$")


def current() -> Counter[str]:
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--no-pretty"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if run.returncode not in (0, 1):  # 2: mypy itself failed (a bad config, a syntax error)
        sys.exit(run.stdout + run.stderr)
    errors: Counter[str] = Counter()
    for line in run.stdout.splitlines():
        if m := _ERROR.match(line):
            message = re.sub(r" on line \d+", "", m["message"])
            errors[f"{m['path']}: {message}"] += 1
    return errors


def main(update: bool) -> int:
    errors = current()
    baseline = Counter(BASELINE.read_text().splitlines()) if BASELINE.exists() else Counter()
    new, gone = errors - baseline, baseline - errors
    if new:
        print(f"mypy: {sum(new.values())} new error(s), not in {BASELINE.name}; fix them:")
        print("\n".join(sorted(new.elements())))
        return 1
    if gone and not update:
        print(
            f"mypy: {sum(gone.values())} baseline error(s) fixed, well done; shrink the baseline "
            f"with `python .ci/mypy_check.py --update`:"
        )
        print("\n".join(sorted(gone.elements())))
        return 1
    if update:
        BASELINE.write_text("".join(f"{e}\n" for e in sorted(errors.elements())))
    print(f"mypy: {sum(errors.values())} error(s), all in the baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main("--update" in sys.argv[1:]))
