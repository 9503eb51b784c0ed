# Sourced by tests: mount the configfs-tsm emulator on a fixture root's /sys/kernel/config.
# tsm_start ROOT PROVIDER LOG [EMULATOR OPTIONS...]: returns 1 (with $tsm_why set) when FUSE
# cannot be used here. Options such as --race once go to the emulator as they are.
# tsm_stop: unmounts; call it from the test's EXIT trap.
# Callers set tests_dir (the tests/ directory) first; a sourced file cannot know its own path.
tsm_emulator=${tests_dir:?set tests_dir to the tests/ directory first}/emulators/configfs-tsm.py
tsm_mnt=""
tsm_start() {
	tsm_why=""
	if [ ! -c /dev/fuse ] || ! /usr/bin/python3 -c 'import fusepy' 2>/dev/null; then
		tsm_why="FUSE or python3-fusepy is missing (scripts/setup installs python3-fusepy)"
		return 1
	fi
	tsm_mnt=$1/sys/kernel/config
	tsm_root=$1 tsm_provider=$2 tsm_log=$3
	shift 3
	/usr/bin/python3 "$tsm_emulator" "$tsm_mnt" --provider "$tsm_provider" --log "$tsm_log" \
		--measurements "$tsm_root/sys/devices/virtual/misc/tdx_guest/measurements" "$@" \
		2>"$tsm_log.err" &
	tsm_pid=$!
	for _ in $(seq 50); do
		[ -d "$tsm_mnt/tsm/report" ] && return 0
		kill -0 "$tsm_pid" 2>/dev/null || break
		sleep 0.1
	done
	tsm_why="the emulator did not come up: $(head -c 300 "$tsm_log.err")"
	tsm_stop
	return 1
}
tsm_stop() {
	if [ -n "$tsm_mnt" ]; then
		fusermount -u "$tsm_mnt" 2>/dev/null || umount "$tsm_mnt" 2>/dev/null
		wait "$tsm_pid" 2>/dev/null
		tsm_mnt=""
	fi
}
