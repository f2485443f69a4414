#!/usr/bin/env bash
# Resident (RSS), proportional (PSS) and private (USS) memory of a gunicorn master and its workers,
# in MiB. PSS divides every page shared by n processes by n, so the sum over the processes is what
# they take together; USS counts the pages only that process holds: what one more worker adds.
#   bash bench/memory.sh MASTER_PID
set -euo pipefail
master="$1"
row() {
    awk -v pid="$1" -v role="$2" '/^Rss:/ {rss = $2} /^Pss:/ {pss = $2} /^Private_(Clean|Dirty):/ {uss += $2}
        END {printf "%-7s %-8s RSS %7.1f MiB  PSS %7.1f MiB  USS %7.1f MiB\n", role, pid, rss / 1024, pss / 1024, uss / 1024}' \
        "/proc/$1/smaps_rollup"
}
row "$master" master
total=$(awk '/^Pss:/ {print $2}' "/proc/$master/smaps_rollup")
for pid in $(pgrep -P "$master"); do
    row "$pid" worker
    total=$((total + $(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")))
done
awk -v total="$total" 'BEGIN {printf "all     PSS %.1f MiB\n", total / 1024}'
