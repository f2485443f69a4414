"""luna.charts: the dashboard's SVG bars and the PNG line charts of the reports."""

from __future__ import annotations

import struct
from datetime import date, datetime, timedelta

from luna.charts import bars_svg, lines_png


def test_bars_stack_each_days_series_in_their_colours_under_the_peak():
    days = [date(2026, 3, 1), date(2026, 3, 2)]
    svg = bars_svg(days, {"booked": [2, 1], "failed": [1, 0]}, title="Bookings", colours={"booked": "#2f855a"})

    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and 'aria-label="Bookings"' in svg
    assert svg.count("<rect ") == 3  # no bar for a zero
    assert "<title>Mar 01: 2 booked</title>" in svg and "<title>Mar 01: 1 failed</title>" in svg
    assert 'fill="#2f855a"><title>Mar 02: 1 booked' in svg
    assert 'fill="#417690"><title>Mar 01: 1 failed' in svg  # a series without a colour of its own
    assert "peak 3</text>" in svg and ">Mar 01</text>" in svg and ">Mar 02</text>" in svg


def test_bars_of_a_quiet_month_draw_no_bar_and_a_peak_of_zero():
    svg = bars_svg([date(2026, 3, 1)], {"interactions": [0]}, title="Interactions", colours={})
    assert "<rect " not in svg and "peak 0</text>" in svg


def test_lines_are_a_png_of_the_size_asked():
    start = datetime(2026, 3, 1)
    series = {"formula": [(start + timedelta(hours=hour), 0.1 * hour) for hour in range(5)]}

    png = lines_png(series, title="Click-through", ylabel="%", size=(7, 3.5), dpi=100)

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (700, 350)  # width and height, from the IHDR chunk
