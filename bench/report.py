"""Writes bench/RESULTS.md from the hyperfine JSON files of bench/run.sh.

run.sh passes everything through BENCH_* and a few other environment
variables; this file only does the arithmetic and the table.
"""

import datetime
import glob
import json
import os
import statistics

env = os.environ
work = env["BENCH_WORK"]


def rounds(group):
    """Per round, a dict command -> list of seconds."""
    out = []
    for path in sorted(glob.glob(f"{work}/{group}.*.json")):
        with open(path) as f:
            out.append({r["command"]: r["times"] for r in json.load(f)["results"]})
    return out


def commands(group):
    with open(f"{work}/{group}.cmds") as f:
        return [line.rstrip("\n") for line in f]


def median_ms(group, cmd):
    """Median over every run of every round, in milliseconds."""
    times = [t for r in rounds(group) for t in r[cmd]]
    return 1000 * statistics.median(times)


def ratio(group, a, b):
    """Median over rounds of median(a)/median(b) within the round."""
    return statistics.median(
        statistics.median(r[a]) / statistics.median(r[b]) for r in rounds(group)
    )


def short(cmd):
    """A command as a reader would type it: paths and long id lists shortened."""
    cmd = cmd.replace(work + "/", "")
    if ",small-" in cmd:  # the floor's -id list
        start = cmd.index("small-1,")
        end = cmd.index(" ", start)
        last = cmd[start:end].rsplit(",", 1)[1]
        cmd = cmd[:start] + f"small-1,…,{last}" + cmd[end:]
    n = cmd.count("--secret-id small-")
    if n > 1:
        first = cmd.index("--secret-id small-")
        last = cmd.rindex("--secret-id small-")
        end = cmd.index(" ", last + len("--secret-id small-"))
        cmd = cmd[:first] + f"--secret-id small-1 … --secret-id small-{n}" + cmd[end:]
    return cmd


rows = []  # (figure, measured, target, verdict)


def row(figure, value, fmt, target=None, limit=None):
    verdict = ""
    if limit is not None:
        verdict = "met" if value <= limit else "**not met**"
    rows.append((figure, fmt.format(value), target or "—", verdict or "—"))


for proto, label, target in (("http", "HTTP", 1.5), ("tls", "TLS", 1.3)):
    g = f"floor_{proto}"
    se, fl, cu, *peers = commands(g)
    row(f"one secret, {label}: secretenv median", median_ms(g, se), "{:.2f} ms")
    row(f"one secret, {label}: Go floor median", median_ms(g, fl), "{:.2f} ms")
    row(f"one secret, {label}: curl median", median_ms(g, cu), "{:.2f} ms")
    row(f"one secret, {label}: secretenv / Go floor", ratio(g, se, fl), "{:.2f}x", f"≤ {target}x", target)
    row(f"one secret, {label}: secretenv / curl", ratio(g, se, cu), "{:.2f}x")
    for ch in peers:  # chamber, when bench/run.sh could build it
        row(f"one secret, {label}: chamber median", median_ms(g, ch), "{:.2f} ms")
        row(f"one secret, {label}: chamber / Go floor", ratio(g, ch, fl), "{:.2f}x")
        row(f"one secret, {label}: secretenv / chamber", ratio(g, se, ch), "{:.2f}x")
    if not peers:
        rows.append((f"one secret, {label}: chamber", env["BENCH_CHAMBER_NOTE"], "—", "—"))

for proto, label in (("http", "HTTP"), ("tls", "TLS")):
    g = f"count_{proto}"
    one, five, twenty, fifty, big, floor_small, floor_big, floor_five, floor_twenty, floor_fifty = commands(g)
    row(f"1 secret, {label}: median", median_ms(g, one), "{:.2f} ms")
    for n, se, fl in (
        (5, five, floor_five),
        (20, twenty, floor_twenty),
        (50, fifty, floor_fifty),
    ):
        row(f"{n} secrets, {label}: / 1 secret", ratio(g, se, one), "{:.2f}x")
        row(f"{n} secrets, {label}: Go floor's own ratio", ratio(g, fl, floor_small), "{:.2f}x")
        # What secretenv adds for each of the N-1 extra secrets beyond what
        # the floor adds for it: its one-secret overhead is taken out.
        extra = median_ms(g, se) - median_ms(g, fl) - (median_ms(g, one) - median_ms(g, floor_small))
        row(f"{n} secrets, {label}: secretenv's extra time per extra secret beyond the Go floor's", 1000 * extra / (n - 1), "{:+.0f} µs", "≤ 50 µs", 50)
    row(f"64 KiB / 2,000 keys, {label}: / small secret", ratio(g, big, one), "{:.2f}x", "≤ 1.2x", 1.2)
    row(f"64 KiB / 2,000 keys, {label}: Go floor's own ratio", ratio(g, floor_big, floor_small), "{:.2f}x")
    row(f"64 KiB / 2,000 keys, {label}: big-secret cost beyond the Go floor's", median_ms(g, big) - median_ms(g, floor_big) - (median_ms(g, one) - median_ms(g, floor_small)), "{:+.2f} ms")

g = "moto"
se, fl, cu, twenty = commands(g)
row("moto, one secret: secretenv median", median_ms(g, se), "{:.2f} ms")
row("moto, one secret: secretenv / Go floor", ratio(g, se, fl), "{:.2f}x")
row("moto, one secret: secretenv / curl", ratio(g, se, cu), "{:.2f}x")
row("moto, 20 secrets / 1 secret", ratio(g, twenty, se), "{:.2f}x")

with open(f"{work}/tail.json") as f:
    tail = json.load(f)


def pct(xs, p):
    """The p-th percentile (nearest rank) of xs, in milliseconds."""
    xs = sorted(xs)
    return 1000 * xs[min(len(xs) - 1, max(0, -(-p * len(xs) // 100) - 1))]


for who in ("secretenv", "floor"):
    name = "secretenv" if who == "secretenv" else "Go floor"
    t = tail[who]
    p50 = pct(t, 50)
    figures = ", ".join(f"p{p} {pct(t, p):.1f}" for p in (50, 90, 99)) + f", max {max(t) * 1000:.1f} ms"
    rows.append((f"tail, 64 KiB secret over HTTP, {len(t)} starts: {name}", figures, "—", "—"))
    row(f"tail: {name} max / p50", max(t) * 1000 / p50, "{:.2f}x", "≤ 3x" if who == "secretenv" else None, 3 if who == "secretenv" else None)
hist = ", ".join(f"{k} attempt{'s' if k != '1' else ''}: {v}" for k, v in sorted(tail["attempts"].items()))
retried = sum(v for k, v in tail["attempts"].items() if k != "1")
rows.append(("tail: secretenv HTTP attempts per start", hist, "0 retried", "met" if retried == 0 else "**not met**"))

with open(f"{work}/nocreds.json") as f:
    nocreds = json.load(f)["results"][0]["times"]
row("no credentials, instance metadata never answers: time to exit 125 (median of 5)", 1000 * statistics.median(nocreds), "{:.0f} ms", "≤ 1,000 ms (about)", 1100)

ipkg, ibytes, iallocs = env["init_secretenv"].split()
fpkg, fbytes, fallocs = env["init_floor"].split()
rows.append(("package initialisation (inittrace): secretenv", f"{ipkg} packages, {int(ibytes) / 1024:.0f} KiB, {iallocs} allocations", "—", "—"))
rows.append(("package initialisation (inittrace): Go floor", f"{fpkg} packages, {int(fbytes) / 1024:.0f} KiB, {fallocs} allocations", "—", "—"))
rows.append(("minor page faults: secretenv --version / floor -h", f"{env['faults_version']} / {env['faults_floor_h']}", "—", "—"))
rows.append(("minor page faults: secretenv check, HTTP / with AWS_CA_BUNDLE", f"{env['faults_check']} / {env['faults_check_ca']}", "—", "—"))
if "-" not in (env["ir_version"], env["ir_floor_h"], env["ir_check"], env["ir_check_ca"]):
    m = lambda k: f"{int(env[k]) / 1e6:.2f} M"
    rows.append(("instructions (callgrind): secretenv --version / floor -h", f"{m('ir_version')} / {m('ir_floor_h')}", "—", "—"))
    rows.append((f"instructions (callgrind): secretenv check, HTTP / with AWS_CA_BUNDLE ({env['ca_certs']} certificates)", f"{m('ir_check')} / {m('ir_check_ca')}", "—", "—"))

mib = lambda kib: int(kib) / 1024
peak = max(int(env[k]) for k in ("rss_one", "rss_50", "rss_big"))
row("peak RSS, one secret (TLS)", mib(env["rss_one"]), "{:.1f} MiB")
row("peak RSS, 50 secrets (TLS)", mib(env["rss_50"]), "{:.1f} MiB")
row("peak RSS, 64 KiB secret (TLS)", mib(env["rss_big"]), "{:.1f} MiB")
row("peak RSS, largest of the three", mib(peak), "{:.1f} MiB", "< 15 MiB", 15 - 1e-9)
row("peak RSS, Go floor (TLS)", mib(env["rss_floor"]), "{:.1f} MiB")
size = int(env["stripped_size"])
row("stripped static binary (-trimpath -ldflags '-s -w')", size / 1e6, "{:.2f} MB", "< 10 MB", 10 - 1e-9)

now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
out = []
w = out.append
w("# secretenv start-up benchmark\n")
w("Written by `bash bench/run.sh` (issue 6); rerun it to compare. All figures come from one run on one machine.\n")
w("| | |\n|---|---|")
w(f"| date | {now} |")
w(f"| machine | {env['BENCH_NPROC']} CPUs, {env['BENCH_CPU']}, {env['BENCH_KERNEL']} |")
w(f"| Go | {env['BENCH_GO']} |")
w(f"| secretenv | {env['BENCH_REV']} |")
w(f"| tools | {env['BENCH_HYPERFINE']}, {env['BENCH_CURL']}, {env['BENCH_MOTO']} |")
w(f"| load | {env['BENCH_LOAD']}; the machine is shared with other builds and tests, so absolute times are noisy: read the ratios, measured in turns |")
w(f"| chamber | {env['BENCH_CHAMBER_NOTE']} |")
w(f"| method | hyperfine -N, {env['ROUNDS']} rounds × {env['RUNS']} runs after {env['WARMUP']} warm-up runs, command order rotated per round (moto: 3 × 15); ratio = median over rounds of the ratio of medians |")
w("")
w("## Figures\n")
w("| figure | measured | target | |\n|---|---:|---:|---|")
for figure, measured, target, verdict in rows:
    w(f"| {figure} | {measured} | {target} | {verdict} |")
w("")
w("## Commands\n")
w("Servers, all on loopback: the benchmark's responder (`bench/responder`, canned GetSecretValue answers, HTTP/1.1) "
  f"at http://{env['BENCH_HTTP']} and https://{env['BENCH_HTTPS']} with a CA it generates, and `moto_server` at {env['BENCH_MOTO_URL']}. "
  "Binaries: `secretenv` and `floor` (`bench/floor`) built with `CGO_ENABLED=0 go build -trimpath`.\n")
w("Every command runs under `env -i` with only:\n")
w("```")
w("PATH=/usr/bin:/bin HOME=$WORK/home AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 SECRET_ID=small-1")
w("# HTTP: AWS_ENDPOINT_URL_SECRETS_MANAGER=http://RESPONDER")
w("# TLS:  AWS_ENDPOINT_URL_SECRETS_MANAGER=https://RESPONDER AWS_CA_BUNDLE=$WORK/ca.pem")
w("# moto: AWS_ENDPOINT_URL_SECRETS_MANAGER=http://MOTO")
w("```\n")
w("Timed with `hyperfine -N --warmup W --runs N --export-json … COMMAND…` (one group per line):\n")
w("```")
for g in ("floor_http", "floor_tls", "count_http", "count_tls", "moto"):
    w(f"{g}: " + " | ".join(short(c) for c in commands(g)))
w("```\n")
w(f"Tail: `bench/tail.py` runs `secretenv --verbose --secret-id big -- true` and `floor -id big true` in turns, {env['TAIL_RUNS']} times each "
  "over HTTP, timing each run from spawn to exit in Python (the spawn cost is the same for both) and counting the `attempts=` secretenv reports.\n")
w("No credentials: `env -i PATH=… HOME=… AWS_REGION=us-east-1 SECRET_ID=small-1 AWS_ENDPOINT_URL_SECRETS_MANAGER=http://RESPONDER "
  "AWS_EC2_METADATA_SERVICE_ENDPOINT=http://SILENT secretenv -- true`, 5 runs with `hyperfine -N -i`; SILENT is a responder listener that accepts and never answers.\n")
w("Peak RSS: the largest `Maximum resident set size` of "
  f"{env['RSS_RUNS']} runs of `/usr/bin/time -v secretenv … -- true` per case, over TLS.\n")
w("Secrets: `small-N` holds five keys `SN_K1`..`SN_K5` (about 180 bytes); `big` holds 2,000 keys in exactly 65,536 bytes.")
print("\n".join(out))
