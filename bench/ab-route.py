#!/usr/bin/env python3
"""ab-route.py: two builds of the routing benchmark, alternating.

    python3 bench/ab-route.py N "CMD_A" "CMD_B"

Runs `CMD_A --json` and `CMD_B --json` one after the other, N times each,
as N pairs (A first in even pairs, B first in odd ones), so that both see
the same drift of a shared machine, and prints per phase the median
(min-max) of routed/s, the ratio of the medians, the median of the N
paired ratios B/A (each pair ran within seconds: steadier than the ratio
of the medians when the host's other guests move single runs by a fifth)
and how many pairs B won, then the median decision p99 at the largest
backlog and the bytes per waiting interaction.  Example: base and new, or
the same binary with and without --huge-pages.
"""
import json
import statistics
import subprocess
import sys


def run(cmd):
    out = subprocess.run(cmd + " --json", shell=True, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    if len(sys.argv) != 4 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    n, cmds = int(sys.argv[1]), {"A": sys.argv[2], "B": sys.argv[3]}
    runs = {"A": [], "B": []}
    for i in range(n):
        for k in ("AB" if i % 2 == 0 else "BA"):
            runs[k].append(run(cmds[k]))
    med = {}
    for k in "AB":
        per_phase = list(zip(*[[p["routed_per_s"] for p in d["phases"]] for d in runs[k]]))
        backlogs = [p["backlog"] for p in runs[k][0]["phases"]]
        med[k] = [statistics.median(v) for v in per_phase]
        cells = ", ".join(f"backlog {b}: {m:,.0f} ({min(v):,}-{max(v):,})"
                          for b, m, v in zip(backlogs, med[k], per_phase))
        p99 = statistics.median(d["decision_p99_ns"] for d in runs[k])
        print(f"{k} ({cmds[k]}), {n} runs: routed/s {cells}; "
              f"decision p99 {p99:,.0f} ns; {runs[k][0]['bytes_per_waiting']} B per waiting")
    print("ratio B/A of the medians: " + ", ".join(f"{b / a:.2f}" for a, b in zip(med["A"], med["B"])))
    paired = []
    for j in range(len(med["A"])):
        ratios = [b["phases"][j]["routed_per_s"] / a["phases"][j]["routed_per_s"]
                  for a, b in zip(runs["A"], runs["B"])]
        paired.append(f"{statistics.median(ratios):.3f} (B won {sum(r > 1 for r in ratios)}/{n})")
    print("median paired ratio B/A: " + ", ".join(paired))


if __name__ == "__main__":
    main()
