"""``skimgdist compare A B``: every distance between two images, with its unit and time."""

from __future__ import annotations

from ._data import (
    Images,
    add_preprocessing_arguments,
    load_image,
    parse_preprocessing,
    to_rows,
)
from ._metrics import (
    MetricSpec,
    default_metrics,
    format_seconds,
    parse_metrics,
    timed_pairwise,
    warm_up,
)
from ._options import add_common_arguments
from ._output import (
    Footnotes,
    Progress,
    StreamingTable,
    check_plot_path,
    check_writable,
    plot_comparison,
    to_json,
    write_text,
)
from ._plans import plan
from ._run import check_no_nan, measured_downscale, report_failures, run_distance

COLUMNS = ["metric", "distance", "unit", "time", "note"]


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "compare",
        help="every distance between two images, with its unit and time",
        description=(
            "Every distance between two grayscale images (colour is converted by ITU-R 601-2 "
            "luma), with its unit and the time it took, one row as each finishes. Methods "
            "that would be too slow or too large at this size are skipped or approximated, "
            "and the note says which, why, and what would fit."
        ),
    )
    parser.add_argument("first", metavar="A", help="image file (or .npy array)")
    parser.add_argument("second", metavar="B", help="image file (or .npy array)")
    parser.add_argument("--metrics", action="append", default=[], metavar="LIST",
                        help="comma-separated distances, each NAME or NAME:param=value[:...] "
                             "(default: all)")
    add_preprocessing_arguments(parser, "both images")
    add_common_arguments(parser, time_limit=60.0, what="stop a distance that runs longer")
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
    resize, preprocessing = parse_preprocessing(args)
    specs = parse_metrics(args.metrics) if args.metrics else _default_specs()
    first, second = load_image(args.first), load_image(args.second)
    pair = Images(first.arrays + second.arrays, first.names + second.names,
                  source=f"{args.first} and {args.second}")
    X, shape = to_rows(pair, preprocessing, resize=resize)

    table, notes = None, Footnotes()
    progress = Progress(len(specs), enabled=not args.quiet)
    if args.json != "-":
        print(f"{args.first} vs {args.second}: {shape[0]}x{shape[1]} pixels, "
              f"preprocessing: {preprocessing.label}", flush=True)
        table = StreamingTable(
            COLUMNS, {"metric": max(len(s.label) for s in specs), "distance": 12, "unit": 14,
                      "time": 9},
            align={"distance": "right", "time": "right"}, progress=progress)
        table.header()
    records, failed = [], []
    try:
        for spec in specs:
            progress.next_task(spec.label)
            record = _compare_one(spec, X, shape, args.time_limit, progress)
            if record.pop("failed"):
                failed.append(spec.label)
            records.append(record)
            if table is not None:
                table.add(_row(record, notes))
    finally:
        progress.close()

    document = {"a": args.first, "b": args.second, "image_shape": list(shape),
                "preprocessing": preprocessing.label, "results": records}
    if args.json:
        write_text(args.json, to_json(document))
    if table is not None:
        print(notes.text(), end="")
    if args.plot:
        plot_comparison(X, shape, records, args.plot, f"{args.first} vs {args.second}")
    report_failures("compare", failed)
    return 1 if failed else 0


def _compare_one(spec, X, shape, time_limit, progress):
    params, plan_note = plan(spec, shape)
    metric = spec.build(shape, **params)
    record = {"metric": spec.label, "distance": None, "unit": metric.distance_unit(),
              "seconds": None, "notes": []}

    def compute(notify):
        warm_up(metric)
        notify("ready")
        D, seconds, warned = timed_pairwise(metric, X[:1], X[1:])
        check_no_nan(D, spec.label)
        return float(D[0, 0]), seconds, warned

    outcome = run_distance(compute, metric, time_limit, progress=progress)
    if outcome.timed_out:
        outcome.notes[0] += "; " + measured_downscale(spec, X, shape, time_limit, progress)
    if outcome.value is not None:
        distance, seconds, warned = outcome.value
        record.update(distance=distance, seconds=seconds)
        outcome.notes = warned
    record["notes"] = [n for n in [*outcome.notes, plan_note] if n]
    record["failed"] = outcome.failed
    return record


def _row(record, notes):
    """The table row of a record, its notes numbered in ``notes`` (a :class:`Footnotes`)."""
    return {"metric": record["metric"],
            "distance": "-" if record["distance"] is None else f"{record['distance']:.6g}",
            "unit": record["unit"],
            "time": "-" if record["seconds"] is None else format_seconds(record["seconds"]),
            "note": notes.mark(record["notes"])}


def _default_specs():
    """Every distance, plus the exact full-resolution EMD with the cityblock ground metric."""
    specs = default_metrics()
    if any(spec.name == "wasserstein" for spec in specs):
        specs.append(MetricSpec("wasserstein", {"ground_metric": "cityblock"}))
    return specs
