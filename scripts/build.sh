# Sourced by scripts/check and scripts/demo: configure and build one build directory.
# build_dir DIR NATIVE_FILE_OR_EMPTY OPTIONS...: set up once, then only update options.
build_dir() {
	dir=$1
	native=$2
	shift 2
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" "$@" >/dev/null
	elif [ -n "$native" ]; then
		meson setup "$dir" --wrap-mode=nodownload --native-file "$native" "$@" >/dev/null
	else
		meson setup "$dir" --wrap-mode=nodownload "$@" >/dev/null
	fi
	ninja -C "$dir" >"$dir/ninja.log" 2>&1 || { cat "$dir/ninja.log"; return 1; }
}
