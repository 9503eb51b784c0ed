# Sourced by tests: mount the tsm-mr emulator over a fixture root's measurements directory, so
# that its registers extend as the kernel's do (the fixture's files there are hidden and give
# the starting values).
# tsm_mr_start ROOT PROVIDER LOG [EMULATOR OPTIONS...]: PROVIDER is tdx, cca-sha256 or
# cca-sha512; returns 1 (with $tsm_mr_why set) when FUSE cannot be used here. Options such as
# --initial FILE, --state FILE, --fail-extend EIO:2 or --short-read go to the emulator as they
# are. $tsm_mr_dir is the mounted directory.
# tsm_mr_stop: unmounts; call it from the test's EXIT trap (after tsm_stop when the
# configfs-tsm emulator reads its registers through this mount).
# Callers set tests_dir (the tests/ directory) first; a sourced file cannot know its own path.
tsm_mr_emulator=${tests_dir:?set tests_dir to the tests/ directory first}/emulators/tsm-mr.py
tsm_mr_dir=""
tsm_mr_mounted() { # DIR: is something mounted exactly there?
	awk -v d="$1" '$5 == d { found = 1 } END { exit !found }' /proc/self/mountinfo
}
tsm_mr_start() {
	tsm_mr_why=""
	if [ ! -c /dev/fuse ] || ! /usr/bin/python3 -c 'import fusepy' 2>/dev/null; then
		tsm_mr_why="FUSE or python3-fusepy is missing (scripts/setup installs python3-fusepy)"
		return 1
	fi
	case $2 in
	tdx) tsm_mr_dir=$1/sys/devices/virtual/misc/tdx_guest/measurements ;;
	cca-*) tsm_mr_dir=$1/sys/devices/virtual/misc/arm_cca_guest/measurements ;;
	*)
		tsm_mr_why="unknown provider $2"
		return 1
		;;
	esac
	tsm_mr_log=$3
	# mountinfo shows the path with symbolic links resolved.
	mkdir -p "$tsm_mr_dir"
	tsm_mr_dir=$(cd "$tsm_mr_dir" && pwd -P)
	tsm_mr_provider=$2
	shift 3
	/usr/bin/python3 "$tsm_mr_emulator" "$tsm_mr_dir" --provider "$tsm_mr_provider" \
		--log "$tsm_mr_log" "$@" 2>"$tsm_mr_log.err" &
	tsm_mr_pid=$!
	for _ in $(seq 50); do
		tsm_mr_mounted "$tsm_mr_dir" && return 0
		kill -0 "$tsm_mr_pid" 2>/dev/null || break
		sleep 0.1
	done
	tsm_mr_why="the emulator did not come up: $(head -c 300 "$tsm_mr_log.err")"
	tsm_mr_stop
	return 1
}
tsm_mr_stop() {
	if [ -n "$tsm_mr_dir" ]; then
		# Lazily when busy: a mount left behind a dead emulator would block rm -rf.
		fusermount -u "$tsm_mr_dir" 2>/dev/null || fusermount -u -z "$tsm_mr_dir" 2>/dev/null ||
			umount -l "$tsm_mr_dir" 2>/dev/null
		# Never mounted (it did not come up): the process may still be starting; end it.
		kill "$tsm_mr_pid" 2>/dev/null
		wait "$tsm_mr_pid" 2>/dev/null
		tsm_mr_dir=""
	fi
}
