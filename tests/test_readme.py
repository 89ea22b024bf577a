"""The README's promises: its Python code runs, its two set-up commands are what CI runs."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_python_blocks_run():
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
    assert blocks, "the README should hold a runnable quick start"
    for block in blocks:
        namespace = {}
        exec(compile(block, "README.md", "exec"), namespace)


def test_readme_gives_exactly_two_setup_commands_and_ci_runs_the_test_one():
    setup = README.split("## Set up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", setup, flags=re.DOTALL)
    assert len(commands) == 2
    main_job, tests = commands
    assert main_job.endswith("skimgdist evaluate")
    assert tests.endswith("python -m pytest")
    extracted = subprocess.run(
        ["awk", "/<!-- test-command -->/{found=1; next} /<!-- \\/test-command -->/{found=0} "
                "found && /^[^`]/", "README.md"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert extracted == tests
    ci_script = (ROOT / ".ci" / "run").read_text()
    assert "<!-- test-command -->" in ci_script and 'bash -euo pipefail -c "$command"' in ci_script
