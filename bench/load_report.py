"""Turn locust's stats CSV into the markdown table kept in docs/benchmarks.md."""

from __future__ import annotations

import csv
import sys


def main(stats_csv: str) -> None:
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


if __name__ == "__main__":
    main(sys.argv[1])
