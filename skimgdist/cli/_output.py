"""What the command line shows and writes: progress, tables, JSON/CSV, plots and image grids."""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from pathlib import Path

import numpy as np

from ._errors import CLIError


class Progress:
    """Progress over a list of tasks on stderr.

    On a terminal it redraws one line (``\\r``), moving within a task when the task
    reports its expected time (:meth:`on_message` with ``"estimate"``); elsewhere (a
    pipe, a log file) it prints one plain line as each task starts.  ``enabled=False``
    silences it.
    """

    def __init__(self, n_tasks, *, enabled=True, stream=None):
        self.n_tasks = max(n_tasks, 1)
        self.enabled = enabled
        self.stream = sys.stderr if stream is None else stream
        self.tty = self.enabled and self.stream.isatty()
        self.start = time.perf_counter()
        self.task, self.label, self._drawn = -1, "", 0.0
        self._estimate = None

    def next_task(self, label):
        self.task += 1
        self.label = label
        self._estimate = None
        if not self.enabled:
            return
        if self.tty:
            self._draw(0.0)
        else:
            print(f"[{self.task + 1}/{self.n_tasks}] {label}", file=self.stream, flush=True)

    def on_message(self, kind, value):
        """A running task's message: ``("estimate", seconds)`` is its expected duration."""
        if kind == "estimate":
            self._estimate = (time.perf_counter(), value)

    def tick(self):
        """Redraw (at most ten times a second) while a task runs."""
        if not self.tty or time.perf_counter() - self._drawn < 0.1:
            return
        fraction = 0.0
        if self._estimate is not None:
            started, seconds = self._estimate
            fraction = min(0.99, (time.perf_counter() - started) / max(seconds, 1e-9))
        self._draw(fraction)

    def _draw(self, fraction):
        now = self._drawn = time.perf_counter()
        done = (self.task + fraction) / self.n_tasks
        bar = "#" * round(24 * done)
        self.stream.write(f"\r{100 * done:3.0f}% [{bar:<24}] {now - self.start:5.0f} s  "
                          f"{self.label[:60]:<60}")
        self.stream.flush()

    def finished(self, text):
        """Report the result of the current task on its own line (the bar is redrawn)."""
        if not self.enabled:
            return
        self.clear()
        print(f"[{self.task + 1}/{self.n_tasks}] {self.label}: {text}", file=self.stream,
              flush=True)

    def clear(self):
        """Erase the bar (before printing a line on the same terminal)."""
        if self.tty:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()

    def close(self):
        self.clear()


class StreamingTable:
    """A plain-text table printed one row at a time, as results arrive.

    Column widths are fixed up front (``widths``, at least the header's); a longer
    value widens its own row only.
    """

    def __init__(self, columns, widths, *, align=None, progress=None, stream=None):
        self.columns = columns
        self.widths = [max(len(c), widths.get(c, 0)) for c in columns]
        self.align = align or {}
        self.progress = progress
        self.stream = stream

    def header(self):
        self._print(self._line(self.columns))
        self._print("  ".join("-" * width for width in self.widths))

    def add(self, row):
        self._print(self._line([str(row.get(column, "")) for column in self.columns]))

    def _line(self, values):
        return "  ".join(
            value.rjust(width) if self.align.get(column) == "right" else value.ljust(width)
            for value, width, column in zip(values, self.widths, self.columns, strict=True)
        ).rstrip()

    def _print(self, text):
        if self.progress is not None:
            self.progress.clear()
        print(text, file=self.stream or sys.stdout, flush=True)


def format_table(rows, columns, *, align=None):
    """A plain-text table: ``rows`` are dicts, ``columns`` the keys to show (in order)."""
    align = align or {}
    cells = [[str(row.get(column, "")) for column in columns] for row in rows]
    widths = [max([len(column), *(len(r[i]) for r in cells)]) for i, column in enumerate(columns)]

    def line(values):
        return "  ".join(
            value.rjust(width) if align.get(column) == "right" else value.ljust(width)
            for value, width, column in zip(values, widths, columns, strict=True)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(columns), rule, *(line(r) for r in cells)])


class Footnotes:
    """Short marks for a table's note column, and the full notes listed below it.

    Each row's notes (a list of str) become a mark such as ``"skipped [2]"`` (the
    word before the first colon of its first note, or ``"note"``); identical notes
    share a number, also across rows printed as they arrive.
    """

    def __init__(self):
        self.numbers = {}

    def mark(self, notes):
        refs = [self.numbers.setdefault(note, len(self.numbers) + 1) for note in notes]
        if not refs:
            return ""
        word = notes[0].split(":", 1)[0] if ":" in notes[0][:20] else "note"
        return f"{word} [{', '.join(map(str, refs))}]"

    def text(self):
        return "".join(f"[{number}] {note}\n" for note, number in self.numbers.items())


def footnote(records):
    """The :class:`Footnotes` marks of ``records`` (each with ``notes``) and their text."""
    notes = Footnotes()
    marks = [notes.mark(record["notes"]) for record in records]
    return marks, notes.text()


def check_writable(path, option):
    """Fail before any work when ``path``'s folder does not exist (``-`` is stdout)."""
    if path is None or path == "-":
        return
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise CLIError(f"{option} {path}: folder {folder} does not exist")
    if Path(path).is_dir():
        raise CLIError(f"{option} {path} is a folder; give a file name")


def write_text(path, text):
    """Write ``text`` to ``path``, or to stdout for ``-``."""
    if path == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    Path(path).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def to_json(document):
    return json.dumps(document, indent=2, default=_jsonable)


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def to_csv(records, columns):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: "; ".join(v) if isinstance(v, list) else "" if v is None else v
                         for k, v in record.items()})
    return buffer.getvalue()


def require_matplotlib(option):
    """Import matplotlib with the file-only Agg backend, or fail with how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise CLIError(
            f'{option} needs matplotlib: install it with pip install "skimgdist[examples]"'
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def check_plot_path(path):
    """Fail before any work when ``--plot FILE`` cannot be written or drawn."""
    if path is None:
        return
    check_writable(path, "--plot")
    plt = require_matplotlib("--plot")
    suffix = Path(path).suffix.lower().lstrip(".")
    supported = plt.figure().canvas.get_supported_filetypes()
    plt.close("all")
    if suffix not in supported:
        raise CLIError(f"--plot {path}: unknown image format {suffix!r}; use one of "
                       f"{', '.join(sorted(supported))}")


def plot_accuracy_vs_time(records, path, title):
    """Write :func:`skimgdist.plotting.plot_evaluation` of the records to ``path``."""
    from ..plotting import plot_evaluation

    plt = require_matplotlib("--plot")
    figure = plot_evaluation(records, title=title)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def plot_comparison(X, image_shape, records, path, title):
    """Write :func:`skimgdist.plotting.plot_comparison` of two image rows to ``path``."""
    from .. import plotting

    plt = require_matplotlib("--plot")
    distances = {r["metric"]: r["distance"] for r in records}
    figure = plotting.plot_comparison(X[0], X[1], distances, image_shape=image_shape,
                                      title=title)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def save_grid(path, query, neighbours, captions, *, tile=128):
    """Write a one-row picture: the query, then its neighbours, each captioned.

    Every tile is scaled to its own intensity range and enlarged (nearest
    neighbour) to ``tile`` pixels high.  Uses Pillow.
    """
    from ..io import _pillow

    Image = _pillow()
    from PIL import ImageDraw

    tiles = []
    for image in [query, *neighbours]:
        low, high = float(image.min()), float(image.max())
        scaled = (image - low) / (high - low) if high > low else np.zeros_like(image)
        picture = Image.fromarray(np.uint8(np.round(255 * scaled)), mode="L")
        width = max(1, round(tile * image.shape[1] / image.shape[0]))
        tiles.append(picture.resize((width, tile), Image.Resampling.NEAREST))
    caption_height, gap = 30, 6
    total_width = sum(t.width for t in tiles) + gap * (len(tiles) + 1)
    canvas = Image.new("L", (total_width, tile + caption_height + 2 * gap), color=255)
    draw = ImageDraw.Draw(canvas)
    x = gap
    for picture, caption in zip(tiles, captions, strict=True):
        canvas.paste(picture, (x, gap))
        for k, text in enumerate(caption.split("\n")[:2]):
            draw.text((x, tile + gap + 2 + 13 * k), text[: max(4, picture.width // 6)], fill=0)
        x += picture.width + gap
    canvas.save(path)
