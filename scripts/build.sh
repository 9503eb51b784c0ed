# Sourced by scripts/check and scripts/demo: configure and build one build directory.
# build_dir DIR NATIVE_FILE_OR_EMPTY OPTIONS...: set up once, then only update options.
# A machine file with a [host_machine] section is a cross file (build-aux/musl-aarch64.ini).
build_dir() {
	dir=$1
	native=$2
	shift 2
	log=$(mktemp)
	if [ -f "$dir/build.ninja" ]; then
		set -- configure "$dir" "$@"
	elif [ -n "$native" ] && grep -q '^\[host_machine\]' "$native"; then
		set -- setup "$dir" --wrap-mode=nodownload --cross-file "$native" "$@"
	elif [ -n "$native" ]; then
		set -- setup "$dir" --wrap-mode=nodownload --native-file "$native" "$@"
	else
		set -- setup "$dir" --wrap-mode=nodownload "$@"
	fi
	if ! meson "$@" >"$log" 2>&1; then
		cat "$log"
		rm -f "$log"
		echo "meson $1 $dir failed" >&2
		return 1
	fi
	rm -f "$log"
	ninja -C "$dir" >"$dir/ninja.log" 2>&1 || { cat "$dir/ninja.log"; return 1; }
}
