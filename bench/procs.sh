# bench/procs.sh, sourced by the bench scripts after they set $work: each
# program they start runs in a process group of its own (setsid), so that
# at exit it and everything it forked are stopped (SIGTERM, then SIGKILL
# after a second), and $work is removed.

pgids=()
cleanup() {
	for pg in "${pgids[@]}"; do
		kill -TERM -- "-$pg" 2>/dev/null || true
	done
	for pg in "${pgids[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 -- "-$pg" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$pg" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start LOG CMD...: runs CMD in its own process group with its output in
# LOG, and sets $pg to the group.
start() {
	local log=$1
	shift
	setsid "$@" >"$log" 2>&1 </dev/null &
	pg=$!
	pgids+=("$pg")
}
