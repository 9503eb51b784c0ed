# Sourced by tests/vm scripts after lib-apt.sh: mkosi from Debian's package (sid's by default,
# MRBOOT_MKOSI_SUITE), unpacked into $apt_cache_dir/mkosi and run with this machine's Python.
# bookworm has no mkosi new enough, and mkosi is pure Python: the package's files are enough.
#
# mkosi_fetch: downloads (once) and unpacks mkosi; sets mkosi_dir and mkosi_deb.
# mkosi [ARGS...]: runs it (300 s at most; mkosi_timeout overrides).
# mkosi_tools_tree RELEASE URI: sets mkosi_tools to a tools tree of Debian RELEASE that mkosi
#   built from URI (Format=directory, mkosi's own mkosi-tools configuration), cached in
#   $apt_cache_dir/mkosi by mkosi's version; its log in $mkosi_tools_log.
# Each returns non-zero with mkosi_why set on failure.
# shellcheck disable=SC2034 # mkosi_why and mkosi_dir are for the caller
# shellcheck disable=SC2154 # apt_cache_dir and apt_why come from lib-apt.sh
mkosi_fetch() {
	mkosi_why=""
	if ! apt_suite "${MRBOOT_MKOSI_SUITE:-sid}" || ! mkosi_deb=$(apt_deb mkosi); then
		mkosi_why="mkosi from ${MRBOOT_MKOSI_SUITE:-sid}: $apt_why"
		return 1
	fi
	mkosi_dir=$apt_cache_dir/mkosi/$(basename "$mkosi_deb" .deb)
	if [ ! -d "$mkosi_dir/usr/lib/python3/dist-packages/mkosi" ]; then
		rm -rf "$mkosi_dir"
		mkdir -p "$mkosi_dir"
		dpkg-deb -x "$mkosi_deb" "$mkosi_dir" || {
			mkosi_why="dpkg-deb -x $mkosi_deb failed"
			return 1
		}
	fi
}

mkosi() {
	PYTHONPATH=$mkosi_dir/usr/lib/python3/dist-packages timeout "${mkosi_timeout:-300}" \
		/usr/bin/python3 -m mkosi "$@"
}

mkosi_tools_tree() {
	mkosi_why=""
	mkosi_tools=$apt_cache_dir/mkosi/tools-$1-$(basename "$mkosi_dir")
	mkosi_tools_log=$mkosi_tools.log
	# mkosi bind-mounts the host's resolv.conf onto the tree's: mkosi-tools' skeleton leaves
	# an empty file for it, and systemd-repart is why the tree is built. A tree without
	# them was not finished.
	if [ -f "$mkosi_tools/etc/resolv.conf" ] && [ -x "$mkosi_tools/usr/bin/systemd-repart" ]; then
		return 0
	fi
	# Trees of other mkosi versions go: only the current one is used.
	rm -rf "$apt_cache_dir/mkosi/tools-$1-"*
	mkdir -p "$mkosi_tools.new"
	# --tools-tree= (none): this one is built with the machine's own tools. LocalMirror
	# makes the machine's archive the only source: mkosi's default list adds a debug and a
	# security archive that need not answer.
	if ! mkosi_timeout=1200 mkosi --directory= --include=mkosi-tools --tools-tree= \
		--distribution=debian --release="$1" --format=directory --local-mirror="$2" \
		--package-cache-directory="$apt_cache_dir/mkosi/packages" \
		--output-directory="$mkosi_tools.new" --output=tree build >"$mkosi_tools_log" 2>&1 ||
		[ ! -f "$mkosi_tools.new/tree/etc/resolv.conf" ]; then
		mkosi_why="mkosi could not build the $1 tools tree: $(grep -v '^ ' "$mkosi_tools_log" | tail -n 3)"
		rm -rf "$mkosi_tools.new"
		return 1
	fi
	mv "$mkosi_tools.new/tree" "$mkosi_tools" && rm -rf "$mkosi_tools.new"
}
