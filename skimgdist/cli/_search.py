"""``skimgdist search QUERY GALLERY``: the k gallery images nearest to a query image."""

from __future__ import annotations

import sys
from pathlib import Path

from ._data import (
    Images,
    add_preprocessing_arguments,
    load_gallery,
    load_image,
    parse_preprocessing,
    to_rows,
)
from ._errors import CLIError
from ._metrics import default_metrics, format_seconds, parse_metrics, warm_up
from ._options import add_common_arguments
from ._output import Progress, check_writable, format_table, save_grid, to_json, write_text
from ._plans import plan
from ._run import check_no_nan, run_distance

DEFAULT_METRIC = "sliced_wasserstein"


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "search",
        help="the k gallery images nearest to a query image",
        description=(
            "Rank every image under GALLERY (searched recursively) by its distance from "
            "QUERY and show the k nearest."
        ),
    )
    parser.add_argument("query", metavar="QUERY", help="image file (or .npy array)")
    parser.add_argument("gallery", metavar="GALLERY", help="folder of image files")
    parser.add_argument("-k", type=int, default=5, help="number of neighbours (default 5)")
    parser.add_argument("--metric", metavar="NAME[:param=value...]",
                        help=f"the distance (default {DEFAULT_METRIC} when installed)")
    add_preprocessing_arguments(parser, "every image")
    add_common_arguments(parser, time_limit=120.0, what="stop the search if it runs longer")
    parser.add_argument("--save-grid", metavar="FILE.png",
                        help="write a picture of the query and its neighbours")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="write the results as JSON to FILE (stdout without FILE)")
    parser.set_defaults(run=run)
    return parser


def run(args, parser):
    if args.k < 1:
        raise CLIError(f"-k must be at least 1, got {args.k}")
    check_writable(args.json, "--json")
    check_writable(args.save_grid, "--save-grid")
    if args.save_grid:
        _check_grid_format(args.save_grid)
    resize, preprocessing = parse_preprocessing(args)
    spec = _metric(args.metric)
    query, gallery = load_image(args.query), load_gallery(args.gallery)
    if args.k > len(gallery.arrays):
        raise CLIError(f"-k {args.k} but {args.gallery} holds {len(gallery.arrays)} image(s); "
                       f"lower -k")
    everything = Images(query.arrays + gallery.arrays, query.names + gallery.names,
                        source=f"{args.query} and {args.gallery}")
    X, shape = to_rows(everything, preprocessing, resize=resize)
    params, note = plan(spec, shape)
    metric = spec.build(shape, **params)
    progress = Progress(1, enabled=not args.quiet)
    progress.next_task(f"{spec.label}: {len(gallery.arrays)} distances")
    try:
        outcome = run_distance(
            lambda notify: _nearest(metric, spec.label, X, args.query, gallery.names, notify),
            metric, args.time_limit, progress=progress)
    finally:
        progress.close()
    if outcome.failed or outcome.value is None:
        print(f"skimgdist search: {spec.label} {outcome.notes[0]}", file=sys.stderr)
        return 1
    distances, order, seconds, warned = outcome.value
    order, distances = order[: args.k], distances[: args.k]
    results = [{"rank": rank, "distance": float(distance), "image": gallery.names[i]}
               for rank, (distance, i) in enumerate(zip(distances, order, strict=True), start=1)]
    notes = [n for n in [note, *warned] if n]
    document = {"query": args.query, "gallery": args.gallery, "metric": spec.label,
                "unit": metric.distance_unit(),
                "image_shape": list(shape), "preprocessing": preprocessing.label,
                "seconds": seconds, "notes": notes, "results": results}
    if args.json:
        write_text(args.json, to_json(document))
    if args.save_grid:
        images = X.reshape(len(X), *shape)
        save_grid(args.save_grid, images[0], images[1 + order],
                  ["query", *(f"{r['rank']}: {r['distance']:.4g}\n{Path(r['image']).name}"
                              for r in results)])
    if args.json != "-":
        print(f"{args.query} against {len(gallery.arrays)} images in {args.gallery} "
              f"({shape[0]}x{shape[1]} pixels, preprocessing: {preprocessing.label}), "
              f"{spec.label} in {metric.distance_unit()}: {format_seconds(seconds)}")
        for text in notes:
            print(f"note: {text}")
        print(format_table(
            [{"rank": r["rank"], "distance": f"{r['distance']:.6g}", "image": r["image"]}
             for r in results],
            ["rank", "distance", "image"], align={"rank": "right", "distance": "right"},
        ))
    return 0


def _nearest(metric, label, X, query_name, gallery_names, notify):
    """Every gallery image ranked by distance from the query (``X[0]``), through
    :class:`skimgdist.ImageIndex`; NaN distances fail instead of being ranked."""
    import time

    from ..neighbors import ImageIndex
    from ._metrics import capture_warnings

    warm_up(metric)
    notify("ready")
    with capture_warnings() as warned:
        start = time.perf_counter()
        index = ImageIndex(metric=metric).fit(X[1:])
        distances, order = index.query(X[:1], k=len(X) - 1)
        seconds = time.perf_counter() - start
    check_no_nan(distances, label, ([query_name], [gallery_names[i] for i in order[0]]))
    return distances[0], order[0], seconds, sorted(warned)


def _metric(text):
    if text:
        specs = parse_metrics([text])
        if len(specs) != 1:
            raise CLIError(f"--metric takes one distance, got {len(specs)}")
        return specs[0]
    specs = default_metrics()
    return next((s for s in specs if s.name == DEFAULT_METRIC), specs[0])


def _check_grid_format(path):
    from ..io import _pillow

    Image = _pillow()
    if Path(path).suffix.lower() not in Image.registered_extensions():
        raise CLIError(f"--save-grid {path}: unknown image format; use .png")
