# Sourced by tests/vm scripts: Debian packages of a named suite through apt, with a private
# state under $MRBOOT_CACHE (default /var/cache/mrboot) whose one source reuses the URI of this
# machine's Debian archive. No mirror is named here; the machine's apt configuration is left
# alone; downloaded packages stay in the cache.
#
# apt_suite SUITE [ARCH]: sets apt_opts for SUITE and refreshes its index when older than a day.
#   ARCH is a Debian architecture (arm64): that architecture's packages only, in a state of
#   their own; without it, this machine's.
# apt_depends PACKAGE: the names its candidate depends on (first alternative each).
# apt_deb PACKAGE: downloads the candidate (once) and prints the path of the .deb.
# Each returns non-zero with apt_why set on failure.
# shellcheck disable=SC2034 # apt_why and apt_opts are for the caller
apt_cache_dir=${MRBOOT_CACHE:-/var/cache/mrboot}

apt_debian_uri() {
	apt-cache policy 2>/dev/null | awk '
		/^ +[0-9]+ [a-z]+:\/\// { uri = $2; next }
		/release .*o=Debian,.*l=Debian,/ { if (uri != "") { print uri; exit } }'
}

apt_suite() {
	apt_why=""
	apt_state=$apt_cache_dir/apt-vm-$1${2:+-$2}
	uri=$(apt_debian_uri)
	if [ -z "$uri" ]; then
		apt_why="no Debian archive among this machine's apt sources"
		return 1
	fi
	mkdir -p "$apt_state/lists/partial" "$apt_state/parts" "$apt_state/archives/partial" \
		"$apt_state/debs"
	echo "deb [${2:+arch=$2 }signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $1 main" \
		>"$apt_state/sources.list"
	apt_opts="-o Dir::State::Lists=$apt_state/lists -o Dir::Etc::sourcelist=$apt_state/sources.list
		-o Dir::Etc::sourceparts=$apt_state/parts -o Dir::Cache=$apt_state
		-o Dir::State::status=/dev/null -o APT::Sandbox::User=root -o Debug::NoLocking=1
		${2:+-o APT::Architecture=$2 -o APT::Architectures=$2}"
	# One index refresh a day is enough: metapackages move with point releases.
	if [ -z "$(find "$apt_state/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null)" ]; then
		# shellcheck disable=SC2086 # apt_opts are words
		timeout 600 apt-get $apt_opts update -qq >&2 || {
			apt_why="apt-get update for $1 failed"
			return 1
		}
	fi
}

apt_depends() {
	# shellcheck disable=SC2086
	apt-cache $apt_opts show --no-all-versions "$1" 2>/dev/null |
		sed -n 's/^Depends: //p' | tr ',' '\n' | sed 's/|.*//; s/(.*//; s/ //g' | grep .
}

apt_deb() {
	apt_why=""
	# shellcheck disable=SC2086
	version=$(apt-cache $apt_opts show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
	if [ -z "$version" ]; then
		apt_why="no package $1"
		return 1
	fi
	# The file name apt gives it: the epoch's colon is %3a.
	deb=$apt_state/debs/${1}_$(echo "$version" | sed 's/:/%3a/')_
	found=$(ls "$deb"*.deb 2>/dev/null | head -n 1)
	if [ -z "$found" ]; then
		# shellcheck disable=SC2086
		(cd "$apt_state/debs" && timeout 900 apt-get $apt_opts download -qq "$1" >&2) || {
			apt_why="apt-get download $1 failed"
			return 1
		}
		found=$(ls "$deb"*.deb 2>/dev/null | head -n 1)
	fi
	[ -n "$found" ] || {
		apt_why="apt-get download $1 left no $deb*.deb"
		return 1
	}
	echo "$found"
}
