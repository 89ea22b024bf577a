"""``skimgdist search QUERY GALLERY``: the k gallery images nearest to a query image."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._data import (
    Images,
    add_preprocessing_arguments,
    load_gallery,
    load_image,
    parse_preprocessing,
    to_rows,
)
from ._errors import CLIError
from ._metrics import default_metrics, format_seconds, one_line, parse_metrics, timed_pairwise
from ._output import check_writable, format_table, save_grid, to_json, write_text
from ._plans import plan

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
    try:
        params, note = plan(spec, shape)
        metric = spec.build(shape, **params)
        D, seconds, warned = timed_pairwise(metric, X[:1], X[1:])
    except ValueError as error:
        raise CLIError(f"{spec.label}: {one_line(error)}") from None
    distances = D[0]
    order = np.argsort(distances, kind="stable")[: args.k]
    results = [{"rank": rank, "distance": float(distances[i]), "image": gallery.names[i]}
               for rank, i in enumerate(order, start=1)]
    notes = [n for n in [note, *warned] if n]
    document = {"query": args.query, "gallery": args.gallery, "metric": spec.label,
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
              f"{spec.label}: {format_seconds(seconds)}")
        for text in notes:
            print(f"note: {text}")
        print(format_table(
            [{"rank": r["rank"], "distance": f"{r['distance']:.6g}", "image": r["image"]}
             for r in results],
            ["rank", "distance", "image"], align={"rank": "right", "distance": "right"},
        ))


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
