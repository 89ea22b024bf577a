"""Run every benchmark case and print a table of ratios against the references.

Usage::

    python benchmarks/run.py                 # all cases
    python benchmarks/run.py --quick         # small sizes: a smoke test in seconds
    python benchmarks/run.py --filter sliced --json results.json

"x slower" is how many times more time per unit (pair or image) a reference needs than
skimgdist; "x memory" how many times more peak extra memory.  All rows of one case are
measured in the same run on the same inputs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (  # benchmarks/ is not a package: run.py puts its folder on sys.path
    discover,
    format_table,
    load_module,
    machine_info,
    memory_child,
    run_case,
    write_json,
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--filter", help="run only modules or cases whose name contains this text")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--no-memory", action="store_true", help="skip peak-memory subprocesses")
    parser.add_argument("--measure-memory", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.measure_memory:
        memory_child(args.measure_memory, args.quick)
        return 0

    info = machine_info()
    print("Machine: " + ", ".join(f"{key} {value}" for key, value in info.items()))
    all_rows = []
    for module_name in discover():
        module = load_module(module_name)
        for index, case in enumerate(module.cases(quick=args.quick)):
            if args.filter and args.filter not in module_name and args.filter not in case.name:
                continue
            print(f"running {module_name}: {case.name} ...", file=sys.stderr, flush=True)
            all_rows.extend(run_case(module_name, index, case, args.quick, not args.no_memory))
    print(format_table(all_rows))
    if args.json:
        write_json(args.json, info, all_rows)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
