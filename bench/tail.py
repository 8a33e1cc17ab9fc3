"""bench/tail.py: the start-up tail with a large secret (issue 14, part 2).

Runs `secretenv --verbose --secret-id big -- true` and `floor -id big true`
in turns, RUNS times each, under the environment given in BENCH_TAIL_ENV
(NAME=value lines), timing every run from spawn to exit and reading how many
HTTP attempts secretenv's --verbose line reports. Writes JSON to the path in
argv[1]: {"secretenv": [seconds...], "floor": [...], "attempts": {"1": n, ...}}.

Turns, not blocks: a burst of load on the machine hits both sides alike.
"""

import json
import os
import re
import subprocess
import sys
import time

out_path = sys.argv[1]
runs = int(os.environ.get("TAIL_RUNS", "300"))
env = dict(line.split("=", 1) for line in os.environ["BENCH_TAIL_ENV"].splitlines() if line)
secretenv = [os.environ["BENCH_SECRETENV"], "--verbose", "--secret-id", "big", "--", "true"]
floor = [os.environ["BENCH_FLOOR"], "-id", "big", "true"]
attempts_re = re.compile(rb"attempts=(\d+)")


def timed(cmd):
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        # Never the stderr itself: a failing run could print a secret's name
        # only, but the bench keeps to the same rule as the tool.
        sys.exit(f"tail.py: {cmd[0]} exited {proc.returncode}")
    return took, proc.stderr


result = {"secretenv": [], "floor": [], "attempts": {}}
for i in range(runs):
    pair = [("secretenv", secretenv), ("floor", floor)]
    if i % 2:
        pair.reverse()
    for name, cmd in pair:
        took, stderr = timed(cmd)
        result[name].append(took)
        if name == "secretenv":
            m = attempts_re.search(stderr)
            n = m.group(1).decode() if m else "unknown"
            result["attempts"][n] = result["attempts"].get(n, 0) + 1

with open(out_path, "w") as f:
    json.dump(result, f)
