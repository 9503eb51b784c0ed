# Sourced by tests: a Rego evaluator, tests/witness/rego-eval.go built on Open Policy Agent's
# Go packages, to evaluate the Rego policies mrboot ships as Trustee's attestation service
# would (it uses regorus; OPA is the reference implementation of the same language).
#
# rego_build: sets rego_eval to the path of a rego-eval binary, building it when needed.
#   Returns non-zero with rego_why (one line) set when it cannot. After a build, rego_stats
#   says what it took (packages, unpacked size, seconds per step); also in the cache's stats.
#
# Nothing but Debian's archive is reachable, and this machine's Go may be too old for OPA, so
# the sources and the compiler come from one suite (MRBOOT_REGO_SUITE, default sid) through
# lib-apt.sh's private apt state: golang-github-open-policy-agent-opa-dev, every golang-*
# package it depends on, transitively, and golang-go. They are unpacked with dpkg-deb under
# $MRBOOT_CACHE/rego/OPA-VERSION, never installed, and built the way Debian builds Go packages
# (GOPATH, no modules, nothing fetched). The binary is kept, named by the OPA version and the
# program's hash; the unpacked tree (gigabytes, mostly SDKs OPA's server side pulls in) is
# removed after a build unless MRBOOT_REGO_KEEP=1. The .debs stay in the apt cache.
# Callers set tests_dir to the tests/ directory first.
# shellcheck disable=SC2034 # rego_eval, rego_why and rego_stats are for the caller
# shellcheck source=../vm/lib-apt.sh
. "$tests_dir/vm/lib-apt.sh"

rego_src=$tests_dir/witness/rego-eval.go

# Prints "NAME VERSION" for each package of the closure of ROOTS over golang-* dependencies
# (the first alternative; a virtual name through the first package providing it), and
# "missing NAME NEEDED-BY" for a name the suite does not have. One pass over the index:
# apt-cache per package would take minutes for the few hundred packages.
rego_closure() {
	# shellcheck disable=SC2086 # apt_opts are words
	timeout 300 apt-cache $apt_opts dumpavail | awk -v roots="$*" '
		/^Package: / { p = $2; next }
		/^Version: / { if (!(p in ver)) ver[p] = $2; next }
		/^Depends: / { if (!(p in dep)) { sub(/^Depends: /, ""); dep[p] = $0 }; next }
		/^Provides: / {
			sub(/^Provides: /, "")
			n = split($0, a, ",")
			for (i = 1; i <= n; i++) {
				v = a[i]; sub(/\(.*/, "", v); gsub(/ /, "", v)
				if (!(v in prov)) prov[v] = p
			}
			next
		}
		END {
			k = split(roots, todo, " ")
			for (i = 1; i <= k; i++) {
				q = todo[i]
				if (!(q in ver) && (q in prov)) q = prov[q]
				if (q in seen) continue
				if (!(q in ver)) { print "missing", todo[i], by[i]; continue }
				seen[q] = 1
				print q, ver[q]
				m = split(dep[q], d, ",")
				for (j = 1; j <= m; j++) {
					x = d[j]; sub(/\|.*/, "", x); sub(/\(.*/, "", x); sub(/:any/, "", x)
					gsub(/[ \t]/, "", x)
					if (x ~ /^golang-/) { todo[++k] = x; by[k] = q }
				}
			}
		}'
}

# Without the archive (apt_suite refreshes its index once a day), a binary of this very
# program built earlier from any OPA version still serves.
rego_offline() {
	for f in "$apt_cache_dir"/rego/*/rego-eval-"$rego_sum"; do
		[ -x "$f" ] || continue
		rego_eval=$f
		rego_opa=$(basename "$(dirname "$f")")
		rego_stats="built before, $rego_suite unreachable now ($rego_why)"
		rego_why=""
	done
	[ -n "$rego_eval" ]
}

rego_build() {
	rego_why=""
	rego_eval=""
	rego_suite=${MRBOOT_REGO_SUITE:-sid}
	if [ ! -f "$rego_src" ]; then
		rego_why="no $rego_src"
		return 1
	fi
	rego_sum=$(sha256sum "$rego_src" | cut -c 1-12)
	if ! apt_suite "$rego_suite"; then
		rego_why="$apt_why"
		rego_offline
		return
	fi
	# shellcheck disable=SC2086
	rego_opa=$(apt-cache $apt_opts show --no-all-versions golang-github-open-policy-agent-opa-dev \
		2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
	if [ -z "$rego_opa" ]; then
		rego_why="$rego_suite has no golang-github-open-policy-agent-opa-dev"
		return 1
	fi
	rego_dir=$apt_cache_dir/rego/$(echo "$rego_opa" | tr ':~' '%_')
	rego_bin=$rego_dir/rego-eval-$rego_sum
	if [ -x "$rego_bin" ]; then
		rego_eval=$rego_bin
		rego_stats="built before: $(cat "$rego_dir/stats" 2>/dev/null)"
		return 0
	fi
	mkdir -p "$rego_dir" || {
		rego_why="cannot create $rego_dir"
		return 1
	}
	# Two builds of the project may run their tests at once: one unpacks and builds, the other
	# waits and then finds the binary.
	if command -v flock >/dev/null 2>&1; then
		exec 9>"$rego_dir/lock"
		flock -w 3600 9 || {
			rego_why="another build held $rego_dir/lock for an hour"
			exec 9>&-
			return 1
		}
	fi
	rego_build_locked
	rego_status=$?
	exec 9>&-
	return $rego_status
}

# NAME_VERSION: prints the cached .deb of this machine's architecture or of all.
rego_deb() {
	for a in "$(dpkg --print-architecture)" all; do
		if [ -f "$apt_state/debs/${1}_$a.deb" ]; then
			echo "$apt_state/debs/${1}_$a.deb"
			return 0
		fi
	done
	return 1
}

rego_build_locked() {
	if [ -x "$rego_bin" ]; then
		rego_eval=$rego_bin
		return 0
	fi
	rego_closure golang-github-open-policy-agent-opa-dev golang-go >"$rego_dir/packages" || {
		rego_why="apt-cache dumpavail for $rego_suite failed"
		return 1
	}
	if grep -q '^missing ' "$rego_dir/packages"; then
		rego_why="$rego_suite lacks $(awk '$1 == "missing" { printf "%s%s (for %s)", s, $2, $3; s = ", " }' \
			"$rego_dir/packages")"
		return 1
	fi
	# One apt-get for every .deb not yet in the cache, named as apt names them (the epoch's
	# colon as %3a); apt_deb's two apt calls per package would take minutes here.
	rego_need=$(awk '{ v = $2; sub(/:/, "%3a", v); print $1 "_" v }' "$rego_dir/packages" |
		while read -r f; do
			rego_deb "$f" >/dev/null || echo "${f%%_*}"
		done)
	rego_t0=$(date +%s)
	if [ -n "$rego_need" ]; then
		# shellcheck disable=SC2086 # apt_opts and the names are words
		(cd "$apt_state/debs" && timeout 1800 apt-get $apt_opts download -qq $rego_need >&2) || {
			rego_why="apt-get download of $(echo $rego_need | wc -w) packages from $rego_suite failed"
			return 1
		}
	fi
	rego_t1=$(date +%s)
	rego_root=$rego_dir/root
	rm -rf "$rego_root"
	mkdir -p "$rego_root"
	while read -r name version; do
		deb=$(rego_deb "${name}_$(echo "$version" | sed 's/:/%3a/')") || {
			rego_why="no .deb of $name $version after apt-get download"
			return 1
		}
		timeout 600 dpkg-deb -x "$deb" "$rego_root" || {
			rego_why="dpkg-deb -x $(basename "$deb") failed"
			return 1
		}
	done <"$rego_dir/packages"
	rego_t2=$(date +%s)
	# golang-go's /usr/lib/go points at the versioned GOROOT, which holds bin/go.
	goroot=$(cd "$rego_root/usr/lib/go" 2>/dev/null && pwd -P)
	if [ ! -x "$goroot/bin/go" ]; then
		rego_why="no Go compiler in the unpacked golang-go of $rego_suite"
		return 1
	fi
	# GOPATH mode as Debian's dh-golang builds: the -dev packages lay sources out by import
	# path under /usr/share/gocode/src, and nothing may be fetched. CGO off: no C toolchain
	# is assumed and nothing rego-eval needs uses it.
	rm -f "$rego_bin.part"
	(cd "$rego_dir" &&
		env GOROOT="$goroot" GOPATH="$rego_root/usr/share/gocode" GO111MODULE=off \
			GOPROXY=off GOFLAGS= GOTOOLCHAIN=local GOTELEMETRY=off GOENV=off CGO_ENABLED=0 \
			GOCACHE="$rego_dir/gocache" HOME="$rego_dir" \
			timeout 1800 "$goroot/bin/go" build -trimpath -o "$rego_bin.part" "$rego_src" \
			>"$rego_dir/build.log" 2>&1) || {
		rego_why="go build failed ($(grep -v '^#' "$rego_dir/build.log" | head -n 3 | tr '\n' ' '))"
		return 1
	}
	mv "$rego_bin.part" "$rego_bin"
	# shellcheck disable=SC2086 # counting the names
	rego_stats="$(wc -l <"$rego_dir/packages") packages ($(echo $rego_need | wc -w) downloaded),\
 unpacked $(du -sh "$rego_root" | cut -f 1); download $((rego_t1 - rego_t0)) s,\
 unpack $((rego_t2 - rego_t1)) s, build $(($(date +%s) - rego_t2)) s"
	echo "$rego_stats" >"$rego_dir/stats"
	[ "${MRBOOT_REGO_KEEP:-0}" = 1 ] || rm -rf "$rego_root" "$rego_dir/gocache"
	rego_eval=$rego_bin
}
