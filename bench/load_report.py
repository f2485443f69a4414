"""The markdown tables kept in docs/benchmarks.md, from a load test's figures.

    python bench/load_report.py bench/out/load-1k.jsonl     bench/load.sh's wrk figures, one JSON line each
    python bench/load_report.py bench/out/load_stats.csv    locust's stats CSV (bench/locust.sh)

For wrk, every figure (ceiling, reco, mix) of every round, with its share of the same round's ceiling:
its req/s over the ceiling's and its p99 over the ceiling's, so that a slow spell of the shared machine
hits both sides of a ratio alike; then each figure's range over the rounds.
"""

from __future__ import annotations

import csv
import json
import sys

CEILING = "ceiling"


def locust_table(stats_csv: str) -> None:
    with open(stats_csv) as handle:
        rows = list(csv.DictReader(handle))
    print("| endpoint | requests | failures | req/s | p50 ms | p95 ms | p99 ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        name = "**all**" if row["Name"] == "Aggregated" else f"`{row['Type']} {row['Name']}`"
        print(
            f"| {name} | {row['Request Count']} | {row['Failure Count']} | {float(row['Requests/s']):.1f} "
            f"| {row['50%']} | {row['95%']} | {row['99%']} |"
        )


def wrk_figures(lines: list[str]) -> list[dict]:
    """Each figure with its req/s and, when its round has a ceiling, its shares of it."""
    figures = [json.loads(line) for line in lines if line.strip()]
    for figure in figures:
        figure["rps"] = figure["requests"] / figure["seconds"] if figure["seconds"] else 0.0
    ceilings = {figure["round"]: figure for figure in figures if figure["label"] == CEILING}
    for figure in figures:
        ceiling = ceilings.get(figure["round"])
        if ceiling is not None and ceiling["rps"] and ceiling["p99_ms"]:
            figure["share"] = figure["rps"] / ceiling["rps"]
            figure["p99_ratio"] = figure["p99_ms"] / ceiling["p99_ms"]
    return figures


def _statuses(figure: dict) -> str:
    return ", ".join(f"{status}: {count}" for status, count in sorted(figure["statuses"].items())) or "none"


def _span(values: list[float], text) -> str:
    low, high = min(values), max(values)
    return text(low) if text(low) == text(high) else f"{text(low)}–{text(high)}"


def wrk_tables(figures: list[dict]) -> None:
    print(
        "| round | request | req/s | p50 ms | p99 ms | errors | non-2xx | share of the ceiling's req/s "
        "| p99 / ceiling's |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for figure in figures:
        share = f"{figure['share']:.0%}" if "share" in figure else "–"
        ratio = f"{figure['p99_ratio']:.2f}×" if "p99_ratio" in figure else "–"
        print(
            f"| {figure['round']} | {figure['label']} | {figure['rps']:.1f} | {figure['p50_ms']:.0f} "
            f"| {figure['p99_ms']:.0f} | {figure['errors']} | {figure['non_2xx']} | {share} | {ratio} |"
        )
    print()
    print("| request | req/s | p99 ms | share of the ceiling's req/s | p99 / ceiling's | errors + non-2xx | statuses |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    labels = list(dict.fromkeys(figure["label"] for figure in figures))
    for label in labels:
        theirs = [figure for figure in figures if figure["label"] == label]
        shared = [figure for figure in theirs if "share" in figure]
        share = _span([figure["share"] for figure in shared], lambda value: f"{value:.0%}") if shared else "–"
        ratio = _span([figure["p99_ratio"] for figure in shared], lambda value: f"{value:.2f}×") if shared else "–"
        statuses: dict[str, int] = {}
        for figure in theirs:
            for status, count in figure["statuses"].items():
                statuses[status] = statuses.get(status, 0) + count
        writes = sum(figure["writes"] for figure in theirs)
        print(
            f"| {label} | {_span([figure['rps'] for figure in theirs], lambda value: f'{value:.1f}')} "
            f"| {_span([figure['p99_ms'] for figure in theirs], lambda value: f'{value:.0f}')} | {share} | {ratio} "
            f"| {sum(figure['errors'] + figure['non_2xx'] for figure in theirs)} "
            f"| {_statuses({'statuses': statuses})}{f' ({writes} writes)' if writes else ''} |"
        )


def main(path: str) -> None:
    if path.endswith(".csv"):
        locust_table(path)
        return
    with open(path) as handle:
        wrk_tables(wrk_figures(handle.readlines()))


if __name__ == "__main__":
    main(sys.argv[1])
