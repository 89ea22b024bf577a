"""``skimgdist evaluate``: which distance (and preprocessing) suits a labelled image set."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.neighbors import KNeighborsClassifier

from ._data import Images, load_labelled, parse_shape, preprocessing_grid, to_rows
from ._errors import CLIError
from ._metrics import (
    default_metrics,
    distance_matrix,
    format_seconds,
    one_line,
    parse_metrics,
)
from ._options import add_common_arguments, check_memory
from ._output import (
    Progress,
    check_plot_path,
    check_writable,
    footnote,
    format_table,
    plot_accuracy_vs_time,
    to_csv,
    to_json,
    write_text,
)
from ._plans import plan
from ._run import check_no_nan, measured_downscale, report_failures, run_distance

DEFAULT_UPSAMPLE = 1
# A distance whose matrix is still running at this multiple of --time-limit is stopped:
# its probes under-estimated it.
CHILD_LIMIT_FACTOR = 1.5
# 200 digits: 20,100 pairs, so even the exact EMD (about 0.5 ms per 8x8 pair) fits the
# default run of about a minute; --n-samples 1797 evaluates all of them.
DEFAULT_DIGITS_PER_CLASS = 20


def _kl_smoothing(image_shape):
    """KL is infinite wherever one image is dark and the other lit: smooth 5% of the mass."""
    return {"eps": float(f"{0.05 / (image_shape[0] * image_shape[1]):.1g}")}


# Settings of the default list (without --metrics), shown in the metric column.
EVALUATE_SETTINGS = {"kl_divergence": _kl_smoothing}
# Only on request: the biased entropic cost is not zero between identical images;
# sinkhorn_divergence is its usable, debiased form (compare shows both).
EVALUATE_ON_REQUEST = frozenset({"sinkhorn"})

COLUMNS = ["rank", "metric", "preprocessing", "image_shape", "accuracy", "accuracy_std",
           "precision_at_k", "seconds_per_pair", "notes"]


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "evaluate",
        help="rank distances by cross-validated kNN accuracy on a labelled image set",
        description=(
            "For each distance (and preprocessing choice): cross-validated k-nearest-neighbour "
            "accuracy, retrieval precision@k and time per image pair, as a table sorted by "
            "accuracy. DATA is a folder with one sub-folder of images per class, or an .npz "
            "file with X (one flattened image per row), y and optionally image_shape. Without "
            "DATA: scikit-learn's bundled 8x8 handwritten digits, "
            f"{DEFAULT_DIGITS_PER_CLASS} per digit."
        ),
    )
    parser.add_argument("data", nargs="?", metavar="DATA",
                        help="folder of class sub-folders, or .npz (default: built-in digits)")
    parser.add_argument("--metrics", action="append", default=[], metavar="LIST",
                        help="comma-separated distances, each NAME or NAME:param=value[:...]; "
                             "'all' for every distance (default: all that work with default "
                             "parameters)")
    parser.add_argument("--downscale", action="append", default=[], metavar="LIST",
                        help="comma-separated downscale choices, each an integer factor or "
                             "HEIGHTxWIDTH (pixels summed, light conserved); 1 = none")
    parser.add_argument("--blur", action="append", default=[], metavar="LIST",
                        help="comma-separated Gaussian blur widths in pixels (after "
                             "downscaling); 0 = none")
    parser.add_argument("--resize", metavar="HxW",
                        help="resample every image to HEIGHTxWIDTH first (bilinear)")
    parser.add_argument("--cv", type=int, default=5, help="cross-validation folds (default 5)")
    parser.add_argument("--n-neighbors", type=int, default=5,
                        help="k of the kNN classifier (default 5)")
    parser.add_argument("--precision-k", type=int, default=10,
                        help="k of retrieval precision@k (default 10)")
    parser.add_argument("--n-samples", type=int, metavar="N",
                        help="use a stratified random subset of N images")
    parser.add_argument("--upsample", type=int, metavar="F",
                        help="built-in digits only: enlarge each pixel to an FxF block "
                             f"(default {DEFAULT_UPSAMPLE})")
    add_common_arguments(parser, time_limit=60.0,
                         what="skip a distance whose matrix would take longer, stop one that "
                              "runs past 1.5 times it")
    parser.add_argument("--random-state", type=int, default=0,
                        help="seed of the folds and subsets (default 0)")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="write the results as JSON to FILE (stdout without FILE)")
    parser.add_argument("--csv", nargs="?", const="-", metavar="FILE",
                        help="write the results as CSV to FILE (stdout without FILE)")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="write an accuracy-vs-time scatter plot (needs matplotlib)")
    parser.set_defaults(run=run)
    return parser


def run(args, parser):
    _check_options(args)
    for option, path in (("--json", args.json), ("--csv", args.csv)):
        check_writable(path, option)
    check_plot_path(args.plot)
    resize = parse_shape(args.resize, "--resize") if args.resize else None
    specs = parse_metrics(args.metrics) if args.metrics else [
        spec for spec in default_metrics() if spec.name not in EVALUATE_ON_REQUEST]
    variants = preprocessing_grid(args.downscale, args.blur)
    images = _load(args)
    labels = _labels(images, args)
    check_memory(3 * 8 * len(labels) ** 2, f"the distance matrix of {len(labels)} images",
                 "evaluate a subset with --n-samples")

    progress = Progress(len(specs) * len(variants), enabled=not args.quiet)
    records, failed = [], []
    try:
        for variant in variants:
            X, shape = to_rows(images, variant, resize=resize)
            size = f"{shape[0]}x{shape[1]}"
            for spec in specs:
                progress.next_task(f"{spec.label} [{variant.label}]")
                record = _evaluate_one(spec, variant, X, shape, labels, args, progress)
                if record.pop("failed"):
                    failed.append(record["metric"])
                records.append({**record, "image_shape": size})
                progress.finished(_summary(record))
    finally:
        progress.close()
    records = _ranked(records)
    sizes = {f"{a.shape[0]}x{a.shape[1]}" for a in images.arrays}
    document = {
        "data": images.source, "n_images": len(labels),
        "image_size": sizes.pop() if len(sizes) == 1 else "mixed",
        "n_classes": len(np.unique(labels)), "cv": args.cv, "n_neighbors": args.n_neighbors,
        "precision_k": args.precision_k, "results": records,
        "recommendation": _recommendation(records),
    }
    if args.json:
        write_text(args.json, to_json(document))
    if args.csv:
        write_text(args.csv, to_csv(records, COLUMNS))
    if args.plot:
        plot_accuracy_vs_time(records, args.plot, _title(document))
    if "-" not in (args.json, args.csv):
        print(_title(document))
        print(_table(records, args))
        print(f"recommendation: {document['recommendation']}")
    report_failures("evaluate", failed)
    return 1 if failed else 0


def _check_options(args):
    for option, value, low in (("--cv", args.cv, 2), ("--n-neighbors", args.n_neighbors, 1),
                               ("--precision-k", args.precision_k, 1),
                               ("--n-samples", args.n_samples, 2),
                               ("--upsample", args.upsample, 1)):
        if value is not None and value < low:
            raise CLIError(f"{option} must be at least {low}, got {value}")
    if args.upsample is not None and args.data is not None:
        raise CLIError("--upsample applies to the built-in digits only; resize your own data "
                       "with --resize")
    if args.json == "-" and args.csv == "-":
        raise CLIError("--json and --csv cannot both go to stdout; give one a FILE")


def _load(args):
    if args.data is not None:
        return load_labelled(args.data)
    from ..datasets import load_digits_images

    side = 8 * (args.upsample or DEFAULT_UPSAMPLE)
    check_memory(3 * 8 * 1797 * side**2, f"--upsample {args.upsample}",
                 "choose a smaller factor")
    digits = load_digits_images(upsample=args.upsample or DEFAULT_UPSAMPLE,
                                n_per_class=None if args.n_samples else DEFAULT_DIGITS_PER_CLASS,
                                random_state=args.random_state)
    shape = digits.image_shape
    source = f"scikit-learn digits ({shape[0]}x{shape[1]})"
    return Images(list(digits.data.reshape(-1, *shape)),
                  [f"digit image {i}" for i in range(len(digits.data))], digits.target,
                  source=source)


def _labels(images, args):
    labels = np.asarray(images.labels)
    if args.n_samples is not None and args.n_samples < len(labels):
        try:
            keep, _ = train_test_split(np.arange(len(labels)), train_size=args.n_samples,
                                       stratify=labels, random_state=args.random_state)
        except ValueError as error:
            raise CLIError(f"--n-samples {args.n_samples}: {one_line(error)}") from None
        keep = np.sort(keep)
        images.arrays = [images.arrays[i] for i in keep]
        images.names = [images.names[i] for i in keep]
        labels = labels[keep]
    classes, counts = np.unique(labels, return_counts=True)
    if len(labels) < 2:
        raise CLIError(f"{images.source} holds a single image; evaluation needs several "
                       f"images of at least two classes")
    if len(classes) < 2:
        raise CLIError(f"{images.source} holds one class only ({classes[0]}); evaluation "
                       f"needs at least two classes")
    smallest = int(np.argmin(counts))
    if counts[smallest] < args.cv:
        raise CLIError(
            f"class {classes[smallest]} has {counts[smallest]} image(s) but --cv {args.cv} "
            f"needs at least {args.cv} per class; lower --cv or add images"
        )
    n_train = len(labels) - int(np.ceil(len(labels) / args.cv))
    if args.n_neighbors > n_train:
        raise CLIError(f"--n-neighbors {args.n_neighbors} exceeds the {n_train} training images "
                       f"of a fold; lower it")
    if args.precision_k > len(labels) - 1:
        raise CLIError(f"--precision-k {args.precision_k} exceeds the {len(labels) - 1} other "
                       f"images; lower it")
    return labels


def _evaluate_one(spec, variant, X, shape, labels, args, progress):
    if not args.metrics and spec.name in EVALUATE_SETTINGS:
        spec = spec.with_defaults(EVALUATE_SETTINGS[spec.name](shape))
    params, plan_note = plan(spec, shape)
    record = {"metric": spec.label, "preprocessing": variant.label, "accuracy": None,
              "accuracy_std": None, "precision_at_k": None, "seconds_per_pair": None,
              "notes": [plan_note] if plan_note else [], "failed": False}
    metric = spec.build(shape, **params)

    def compute(notify):
        D, seconds, notes = distance_matrix(metric, X, time_limit=args.time_limit,
                                            notify=notify)
        check_no_nan(D, spec.label)
        return D, seconds, notes

    outcome = run_distance(compute, metric, args.time_limit,
                           child_limit=CHILD_LIMIT_FACTOR * args.time_limit, progress=progress)
    if outcome.timed_out:
        n_pairs = len(X) * (len(X) + 1) // 2
        outcome.notes[0] = (
            f"skipped: stopped at {CHILD_LIMIT_FACTOR:g} times the --time-limit of "
            f"{args.time_limit:g} s, before or after its probes; "
            + measured_downscale(spec, X, shape, args.time_limit, progress, n_pairs=n_pairs))
    if outcome.value is None:
        record["notes"] = outcome.notes + record["notes"]
        record["failed"] = outcome.failed
        return record
    D, seconds, notes = outcome.value
    D, clip_note = _clean(D)
    scores, predicted = _knn_scores(D, labels, args)
    accuracy, accuracy_std = float(np.mean(scores)), float(np.std(scores))
    record.update(
        accuracy=accuracy, accuracy_std=accuracy_std,
        precision_at_k=_precision_at_k(D, labels, args.precision_k), seconds_per_pair=seconds,
        notes=[n for n in [*_warnings_about(accuracy, accuracy_std, labels, predicted),
                           plan_note, *notes, *clip_note] if n],
    )
    return record


def _summary(record):
    if record["accuracy"] is None:
        return record["notes"][0]
    return (f"accuracy {record['accuracy']:.3f} +- {record['accuracy_std']:.3f}, "
            f"{format_seconds(record['seconds_per_pair'])} per pair")


def _warnings_about(accuracy, accuracy_std, labels, predicted):
    """Notes when a result carries no information: chance level, or one class for all."""
    notes = []
    counts = np.unique(labels, return_counts=True)[1]
    chance = counts.max() / counts.sum()
    if accuracy - accuracy_std <= chance:
        notes.append(f"chance level: accuracy within one standard deviation of {chance:.3f}, "
                     f"that of always answering the most frequent class; this distance does "
                     f"not separate these classes")
    assigned = np.unique(predicted)
    if len(assigned) == 1:
        notes.append(f"one class: every image was assigned to class {assigned[0]} (its "
                     f"nearest neighbours all come from it)")
    return notes


def _clean(D):
    """Distances kNN accepts: tiny negative rounding clipped to 0, +inf kept far away."""
    notes = []
    if (D < 0).any():
        notes.append(f"negative distances down to {D.min():.3g} clipped to 0")
        D = np.maximum(D, 0)
    if np.isinf(D).any():
        notes.append("infinite distances treated as farther than any finite one")
        finite = D[np.isfinite(D)]
        D = np.where(np.isinf(D), 2 * (finite.max() if finite.size else 1.0) + 1, D)
    return D, notes


def _knn_scores(D, labels, args):
    """Accuracy of each cross-validation fold, and the predicted class of every image."""
    folds = StratifiedKFold(n_splits=args.cv, shuffle=True, random_state=args.random_state)
    scores, predicted = [], np.empty_like(labels)
    for train, test in folds.split(D, labels):
        knn = KNeighborsClassifier(n_neighbors=args.n_neighbors, metric="precomputed")
        knn.fit(D[np.ix_(train, train)], labels[train])
        predicted[test] = knn.predict(D[np.ix_(test, train)])
        scores.append(np.mean(predicted[test] == labels[test]))
    return scores, predicted


def _precision_at_k(D, labels, k):
    """Mean fraction of each image's k nearest other images that share its label."""
    D = D.copy()
    np.fill_diagonal(D, np.inf)
    nearest = np.argsort(D, axis=1, kind="stable")[:, :k]
    return float(np.mean(labels[nearest] == labels[:, None]))


def _ranked(records):
    done = sorted((r for r in records if r["accuracy"] is not None),
                  key=lambda r: (-r["accuracy"], -r["precision_at_k"], r["seconds_per_pair"]))
    for rank, record in enumerate(done, start=1):
        record["rank"] = rank
    rest = [r for r in records if r["accuracy"] is None]
    for record in rest:
        record["rank"] = None
    return [*done, *rest]


def _recommendation(records):
    """One line: the best accuracy within the time limit, and the fastest distance whose
    accuracy is within one standard deviation of it."""
    done = [r for r in records if r["accuracy"] is not None]
    if not done:
        return ("no distance finished; see the notes for what would fit (a --downscale, "
                "fewer images, a larger --time-limit)")
    best = done[0]

    def describe(record):
        where = "" if record["preprocessing"] == "none" else f" [{record['preprocessing']}]"
        return (f"{record['metric']}{where} (accuracy {record['accuracy']:.3f} +- "
                f"{record['accuracy_std']:.3f}, {format_seconds(record['seconds_per_pair'])} "
                f"per pair)")

    close = [r for r in done if r["accuracy"] >= best["accuracy"] - best["accuracy_std"]]
    fastest = min(close, key=lambda r: r["seconds_per_pair"])
    text = f"best: {describe(best)}"
    if fastest is not best:
        text += f"; fastest within one standard deviation of it: {describe(fastest)}"
    return text


def _title(document):
    return (f"{document['data']}: {document['n_images']} images of {document['image_size']} "
            f"pixels, {document['n_classes']} classes; {document['cv']}-fold kNN "
            f"(k={document['n_neighbors']}), precision@{document['precision_k']}")


def _table(records, args):
    rows = []
    marks, footnotes = footnote(records)
    for record, mark in zip(records, marks, strict=True):
        done = record["accuracy"] is not None
        rows.append({
            "#": record["rank"] or "-",
            "metric": record["metric"],
            "preprocessing": record["preprocessing"],
            "accuracy": f"{record['accuracy']:.3f} +- {record['accuracy_std']:.3f}"
            if done else "-",
            f"precision@{args.precision_k}": f"{record['precision_at_k']:.3f}" if done else "-",
            "time/pair": format_seconds(record["seconds_per_pair"]) if done else "-",
            "note": mark,
        })
    columns = ["#", "metric", "preprocessing", "accuracy", f"precision@{args.precision_k}",
               "time/pair", "note"]
    return format_table(rows, columns, align={"#": "right", "time/pair": "right"}) + (
        "\n" + footnotes if footnotes else "")
