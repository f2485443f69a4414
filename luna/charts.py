"""Every chart Luna draws: bars as hand-drawn SVG for pages, lines as PNG from matplotlib.

Two techniques, each where it fits. The admin dashboard's bars are a few rectangles: drawn here as
SVG from numbers and dates, on every visit, with nothing to import and nothing to load from the
internet. Line charts with dated axes and legends (the experiment report, `evaluate`'s curves) are
matplotlib's job; it is imported only when one is drawn, on the Agg backend (no display needed).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

BAR_COLOUR = "#417690"  # the admin's own blue, for a series without a colour of its own
WIDTH, HEIGHT, PAD = 600, 140, 24


def bars_svg(days: list[date], series: dict[str, list[int]], *, title: str, colours: dict[str, str]) -> str:
    """Stacked bars, one per day, one colour per series, with the peak and the first and last day."""
    count = len(days)
    totals = [sum(values[index] for values in series.values()) for index in range(count)]
    peak = max(totals, default=0) or 1
    slot = (WIDTH - 2 * PAD) / max(count, 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT + 30}" role="img" '
        f'aria-label="{title}" class="luna-chart">'
    ]
    for index in range(count):
        bottom = HEIGHT
        for name, values in series.items():
            value = values[index]
            if not value:
                continue
            height = (HEIGHT - PAD) * value / peak
            x = PAD + index * slot + 1
            colour = colours.get(name, BAR_COLOUR)
            parts.append(
                f'<rect x="{x:.1f}" y="{bottom - height:.1f}" width="{max(slot - 2, 1):.1f}" height="{height:.1f}" '
                f'fill="{colour}"><title>{days[index]:%b %d}: {value} {name}</title></rect>'
            )
            bottom -= height
    parts.append(f'<line x1="{PAD}" y1="{HEIGHT}" x2="{WIDTH - PAD}" y2="{HEIGHT}" stroke="#999"/>')
    parts.append(f'<text x="{PAD}" y="{PAD - 8}" font-size="11" fill="#666">peak {max(totals, default=0):,}</text>')
    if days:
        parts.append(f'<text x="{PAD}" y="{HEIGHT + 16}" font-size="11" fill="#666">{days[0]:%b %d}</text>')
        parts.append(
            f'<text x="{WIDTH - PAD}" y="{HEIGHT + 16}" font-size="11" fill="#666" text-anchor="end">'
            f"{days[-1]:%b %d}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


@contextmanager
def matplotlib_figure(*grid: int, **options) -> Iterator[tuple]:
    """(figure, axes) from pyplot.subplots(*grid, **options) on the Agg backend, closed on the way out."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(*grid, **options)
    try:
        yield figure, axes
    finally:
        pyplot.close(figure)


def lines_png(series: dict[str, list[tuple]], *, title: str, ylabel: str, size: tuple[float, float], dpi: int) -> bytes:
    """One line per series (its (x, y) points, x dates or numbers), named in a legend, as a PNG."""
    with matplotlib_figure(figsize=size, dpi=dpi) as (figure, axes):
        for name, points in series.items():
            axes.plot([x for x, _ in points], [y for _, y in points], marker=".", label=name)
        axes.set_title(title)
        axes.set_ylabel(ylabel)
        axes.grid(alpha=0.3)
        if series:
            axes.legend()
        figure.autofmt_xdate()
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()
