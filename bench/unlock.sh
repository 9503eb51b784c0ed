#!/bin/sh
# Benchmark, not a test: the time and memory from the first request to a released key.
#   mrboot: `mrboot unlock --handoff none` against the test key broker (tests/kbs/broker.py)
#     over TLS on loopback with sample evidence: auth, a fresh P-256 key, JCS + SHA-384,
#     attest, the resource as a JWE, ECDH-ES+A256KW and AES-GCM decryption.
#   peer: `clevis decrypt` of a secret bound to a tang server (Debian's tangd behind socat, on
#     loopback, plain HTTP as tang is used): clevis and jose fetch the advertisement and
#     recover the key by McCallum-Relyea exchange.
# Each is run N times in the same script on the same machine; the table shows the median and
# best wall time, and the peak RSS of the client process tree (GNU time), then the ratio.
# Both servers are part of the wall time: the test broker is Python, tangd is C.
#
# Usage: bench/unlock.sh BUILD_DIR [RUNS]   (RUNS default 20, or $BENCH_UNLOCK_RUNS)
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 BUILD_DIR [RUNS]" >&2
	exit 2
fi
mrboot=$1/agent/mrboot
runs=${2:-${BENCH_UNLOCK_RUNS:-20}}
top=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3
if [ ! -x "$mrboot" ]; then
	echo "$0: $mrboot not found; build it first (ninja -C $1)" >&2
	exit 1
fi
for tool in /usr/bin/time openssl; do
	command -v "$tool" >/dev/null || {
		echo "$0: $tool is needed (scripts/setup installs it)" >&2
		exit 1
	}
done

tmp=$(mktemp -d)
socat_pid=""
kbs_lib_dir=$top/tests/kbs
. "$kbs_lib_dir/lib-kbs.sh"
cleanup() {
	set +e
	kbs_stop
	if [ -n "$socat_pid" ]; then
		pkill -P "$socat_pid" 2>/dev/null
		kill "$socat_pid" 2>/dev/null
		wait "$socat_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

ms_now() { date +%s%N; }

# stats FILE: "median best" of the numbers in FILE (one per line)
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f %.1f\n", m, v[1] }'
}

# run_series NAME OUTFILE COMMAND...: RUNS runs; wall ms to OUTFILE.ms, peak RSS KiB to .rss
run_series() {
	name=$1
	out=$2
	shift 2
	: >"$out.ms"
	: >"$out.rss"
	: >"$out.cpu"
	i=0
	while [ $i -lt "$runs" ]; do
		start=$(ms_now)
		if ! /usr/bin/time -f '%M %U %S' -o "$out.time" "$@" >"$out.stdout" 2>"$out.stderr"; then
			echo "$0: $name failed:" >&2
			tail -5 "$out.stderr" >&2
			return 1
		fi
		end=$(ms_now)
		echo "$(((end - start) / 1000)) " | awk '{ printf "%.3f\n", $1 / 1000 }' >>"$out.ms"
		tail -1 "$out.time" | awk '{ print $1 }' >>"$out.rss"
		tail -1 "$out.time" | awk '{ printf "%.0f\n", ($2 + $3) * 1000 }' >>"$out.cpu"
		i=$((i + 1))
	done
}

# ---- mrboot against the test broker --------------------------------------------------------
kbs_make_certs "$tmp" || {
	echo "$0: $kbs_why" >&2
	exit 1
}
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/disk.key"
kbs_start "$tmp" bench --tee sample --resource "default/mrboot/root=$tmp/disk.key" || {
	echo "$0: $kbs_why" >&2
	exit 1
}
root=$tmp/root
mkdir -p "$root/etc/mrboot" "$root/dev/mapper"
cp "$tmp/ca.pem" "$root/etc/mrboot/kbs-ca.pem"
printf '[kbs]\nurl = %s\ntee = sample\n[unlock]\nvolume-identity = optional\n' "$kbs_url" >"$root/etc/mrboot.conf"
run_series mrboot "$tmp/mrboot" "$mrboot" --root "$root" --log-level warning \
	unlock --volume root --handoff none
kbs_stop || true
# The same over plain HTTP, the transport tang is used with: the cost of TLS shown apart.
kbs_start "$tmp" plain --plain --tee sample --resource "default/mrboot/root=$tmp/disk.key" || {
	echo "$0: $kbs_why" >&2
	exit 1
}
printf '[kbs]\nurl = %s\ntee = sample\ninsecure = yes\n[unlock]\nvolume-identity = optional\n' "$kbs_url" >"$root/etc/mrboot.conf"
run_series mrboot-plain "$tmp/plain" "$mrboot" --root "$root" --log-level err \
	unlock --volume root --handoff none
kbs_stop || true

# ---- clevis decrypt against tang ------------------------------------------------------------
peer="n/a"
if command -v clevis >/dev/null && [ -x /usr/libexec/tangd ] && command -v socat >/dev/null; then
	mkdir -p "$tmp/tang"
	/usr/libexec/tangd-keygen "$tmp/tang" >/dev/null
	port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" \
		"EXEC:/usr/libexec/tangd $tmp/tang" 2>"$tmp/socat.err" &
	socat_pid=$!
	i=0
	while ! $py -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
		"$port" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	clevis encrypt tang "{\"url\":\"http://127.0.0.1:$port\"}" -y <"$tmp/disk.key" >"$tmp/clevis.jwe"
	run_series clevis "$tmp/clevis" sh -c "clevis decrypt <'$tmp/clevis.jwe'"
	cmp -s "$tmp/clevis.stdout" "$tmp/disk.key" || {
		echo "$0: clevis decrypt returned something else than the secret" >&2
		exit 1
	}
	peer=ok
else
	why="clevis, tang or socat is missing (scripts/setup installs them)"
fi

# row LABEL PREFIX: one line of the table
row() {
	set -- "$1" $(stats "$2.ms") $(stats "$2.rss") $(stats "$2.cpu")
	printf '%-46s %9s %9s %9s %12s\n' "$1" "$2" "$3" "$6" "$4"
	eval "${2##*/}_med=$2; ${2##*/}_rss=$4" 2>/dev/null || true
}
printf '\nauth -> key, %s runs each (median and best wall ms, median client CPU ms, peak RSS)\n' "$runs"
printf '%-46s %9s %9s %9s %12s\n' "client" "median" "best" "cpu" "RSS KiB"
set -- $(stats "$tmp/mrboot.ms"); m_med=$1
set -- $(stats "$tmp/mrboot.rss"); m_rss=$1
set -- $(stats "$tmp/plain.ms"); p_med=$1
row "mrboot unlock (TLS 1.2, test broker, sample)" "$tmp/mrboot"
row "mrboot unlock (plain HTTP, test broker)" "$tmp/plain"
if [ "$peer" = ok ]; then
	set -- $(stats "$tmp/clevis.ms"); c_med=$1
	set -- $(stats "$tmp/clevis.rss"); c_rss=$1
	row "clevis decrypt (tang, plain HTTP)" "$tmp/clevis"
	awk -v m="$m_med" -v p="$p_med" -v c="$c_med" -v mr="$m_rss" -v cr="$c_rss" 'BEGIN {
		printf "\nclevis/mrboot wall time: %.1fx with TLS, %.1fx both over plain HTTP; peak RSS %.1fx less\n", c / m, c / p, cr / mr
		printf "targets: >= 10x faster (TLS): %s; under 4 MiB RSS: %s\n", (c / m >= 10) ? "met" : "NOT met", (mr < 4096) ? "met" : "NOT met" }'
else
	printf '%-46s %9s %9s %9s %12s\n' "clevis decrypt (tang)" "n/a" "n/a" "n/a" "n/a"
	echo "peer not run: $why"
fi
