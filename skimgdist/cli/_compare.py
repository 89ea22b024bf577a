"""``skimgdist compare A B``: every distance between two images, with its time."""

from __future__ import annotations

from ._data import (
    Images,
    add_preprocessing_arguments,
    load_image,
    parse_preprocessing,
    to_rows,
)
from ._errors import CLIError
from ._isolate import TimeLimitExceeded, call_with_time_limit
from ._metrics import (
    MetricSpec,
    default_metrics,
    format_seconds,
    one_line,
    parse_metrics,
    timed_pairwise,
)
from ._output import (
    check_plot_path,
    check_writable,
    footnote,
    format_table,
    plot_comparison,
    to_json,
    write_text,
)
from ._plans import plan


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "compare",
        help="every distance between two images, with its time",
        description=(
            "Every distance between two grayscale images (colour is converted by ITU-R 601-2 "
            "luma), with the time each took. Transport distances are in pixels. Methods "
            "that would be too slow or too large at this size are skipped or approximated, "
            "and the note says which and why."
        ),
    )
    parser.add_argument("first", metavar="A", help="image file (or .npy array)")
    parser.add_argument("second", metavar="B", help="image file (or .npy array)")
    parser.add_argument("--metrics", action="append", default=[], metavar="LIST",
                        help="comma-separated distances, each NAME or NAME:param=value[:...] "
                             "(default: all)")
    add_preprocessing_arguments(parser, "both images")
    parser.add_argument("--time-limit", type=float, default=60.0, metavar="SECONDS",
                        help="stop a distance that runs longer (default 60)")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="write the results as JSON to FILE (stdout without FILE)")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="draw the two images, their difference and the distances "
                             "(needs matplotlib)")
    parser.set_defaults(run=run)
    return parser


def run(args, parser):
    check_writable(args.json, "--json")
    check_plot_path(args.plot)
    if not args.time_limit > 0:
        raise CLIError(f"--time-limit must be positive, got {args.time_limit:g}")
    resize, preprocessing = parse_preprocessing(args)
    specs = parse_metrics(args.metrics) if args.metrics else _default_specs()
    first, second = load_image(args.first), load_image(args.second)
    pair = Images(first.arrays + second.arrays, first.names + second.names,
                  source=f"{args.first} and {args.second}")
    X, shape = to_rows(pair, preprocessing, resize=resize)

    records = []
    for spec in specs:
        params, note = plan(spec, shape)
        record = {"metric": spec.label, "distance": None, "seconds": None, "notes": []}
        metric = spec.build(shape, **params)
        try:
            D, seconds, warned = call_with_time_limit(
                lambda metric=metric: timed_pairwise(metric, X[:1], X[1:]), args.time_limit)
        except TimeLimitExceeded:
            record["notes"] = [f"skipped: still running after the --time-limit of "
                               f"{args.time_limit:g} s; try --downscale or a larger --time-limit",
                               *([note] if note else [])]
        except ValueError as error:
            record["notes"] = [f"failed: {one_line(error)}"]
        else:
            record.update(distance=float(D[0, 0]), seconds=seconds,
                          notes=[n for n in [note, *warned] if n])
        records.append(record)

    document = {"a": args.first, "b": args.second, "image_shape": list(shape),
                "preprocessing": preprocessing.label, "results": records}
    if args.json:
        write_text(args.json, to_json(document))
    if args.json != "-":
        print(f"{args.first} vs {args.second}: {shape[0]}x{shape[1]} pixels, "
              f"preprocessing: {preprocessing.label}")
        marks, footnotes = footnote(records)
        print(format_table(
            [{"metric": r["metric"],
              "distance": "-" if r["distance"] is None else f"{r['distance']:.6g}",
              "time": "-" if r["seconds"] is None else format_seconds(r["seconds"]),
              "note": mark} for r, mark in zip(records, marks, strict=True)],
            ["metric", "distance", "time", "note"],
            align={"distance": "right", "time": "right"},
        ))
        print(footnotes, end="")
    if args.plot:
        plot_comparison(X, shape, records, args.plot, f"{args.first} vs {args.second}")


def _default_specs():
    """Every distance, plus the exact full-resolution EMD with the cityblock ground metric."""
    specs = default_metrics()
    if any(spec.name == "wasserstein" for spec in specs):
        specs.append(MetricSpec("wasserstein", {"ground_metric": "cityblock"}))
    return specs
