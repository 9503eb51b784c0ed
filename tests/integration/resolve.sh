#!/bin/sh
# TAP: broker names are resolved within [kbs] timeout (agent/net/resolve.c). In a private mount
# namespace, /etc/resolv.conf names a test DNS server (tests/net/dns-server.py) on loopback:
#  - it answers: the name resolves and `mrboot attest` reaches the broker by it over TLS;
#  - NXDOMAIN: said so, within the deadline;
#  - it swallows every query (as behind a broken network): mrboot gives up at the deadline,
#    not after the resolver's own timeouts (5 s per try by default), and leaves no process.
# Usage: resolve.sh MRBOOT
set -u
. "$(dirname "$0")/../lib/tap.sh"
mrboot=$1
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
kbs_lib_dir=$tests_dir/kbs
. "$kbs_lib_dir/lib-kbs.sh"
py=/usr/bin/python3
tmp=$(mktemp -d)
dns_pid=""
cleanup() {
	kbs_stop
	[ -n "$dns_pid" ] && kill "$dns_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
if ! unshare -m true 2>/dev/null; then
	skip_all "no mount namespaces here (unshare -m): /etc/resolv.conf cannot be replaced"
fi
kbs_extra_san=DNS:kbs.test
kbs_make_certs "$tmp" || {
	skip_all "$kbs_why"
}
kbs_start "$tmp" broker --tee sample || {
	bail "$kbs_why"
}
# Port 53 is the only one resolv.conf can name; an address of 127/8 nothing else uses.
dns=127.0.53.1
dns_start() { # [--silent]
	rm -f "$tmp/dns.ready"
	timeout 300 "$py" "$tests_dir/net/dns-server.py" --address "$dns" \
		--ready-file "$tmp/dns.ready" "$@" kbs.test 2>>"$tmp/dns.log" &
	dns_pid=$!
	i=0
	while [ ! -s "$tmp/dns.ready" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$tmp/dns.ready" ]
}
dns_stop() {
	kill "$dns_pid" 2>/dev/null
	wait "$dns_pid" 2>/dev/null
	dns_pid=""
}

echo "nameserver $dns" >"$tmp/resolv.conf"
printf '127.0.0.1 localhost\n' >"$tmp/hosts"
printf 'hosts: files dns\n' >"$tmp/nsswitch.conf"
root=$tmp/root
mkdir -p "$root/etc/mrboot"
cp "$tmp/ca.pem" "$root/etc/mrboot/kbs-ca.pem"
printf '[kbs]\ntee = sample\ntimeout = 2\n' >"$root/etc/mrboot.conf"

# attest URL: mrboot attest with this resolv.conf; its output in $tmp/out, $tmp/err, its
# status in $status and its time in milliseconds in $ms.
attest() {
	t0=$(date +%s%N)
	unshare -m sh -c 'mount --bind "$1/resolv.conf" /etc/resolv.conf &&
		mount --bind "$1/hosts" /etc/hosts &&
		mount --bind "$1/nsswitch.conf" /etc/nsswitch.conf &&
		exec "$2" --root "$3" attest --url "$4"' sh "$tmp" "$mrboot" "$root" "$1" \
		>"$tmp/out" 2>"$tmp/err"
	status=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
}

dns_start || {
	bail "the test DNS server did not start: $(tail -3 "$tmp/dns.log")"
}
attest "https://kbs.test:$kbs_port"
check "a name the DNS server answers: attest reaches the broker by it (exit $status)" [ $status -eq 0 ]
check "the DNS server was asked for kbs.test" grep -q "query kbs.test" "$tmp/dns.log"
check "the broker issued a token" grep -q '"/kbs/v0/attest"' "$tmp/broker.log"
attest "https://nowhere.test:$kbs_port"
check "NXDOMAIN: attest fails (exit $status)" [ $status -ne 0 ]
check "saying the name does not resolve" grep -q "cannot resolve the host name" "$tmp/err"
check "within the deadline of 2 s ($ms ms)" [ $ms -lt 4500 ]
dns_stop

dns_start --silent || {
	bail "the test DNS server did not start: $(tail -3 "$tmp/dns.log")"
}
: >"$tmp/dns.log"
attest "https://kbs.test:$kbs_port"
check "a DNS server that never answers: attest fails (exit $status)" [ $status -ne 0 ]
check "it was asked" grep -q "query kbs.test" "$tmp/dns.log"
check "saying the resolver gave no answer in time" grep -q "resolving: no answer before the deadline" "$tmp/err"
check "at the deadline of 2 s, not the resolver's 5 s ($ms ms)" [ $ms -lt 4500 ]
# "[a]ttest": a pattern that matches mrboot's command line but not its own.
check "and no resolver process is left behind" \
	sh -c "! pgrep -f -- '[a]ttest --url https://kbs.test:$kbs_port' >/dev/null"
dns_stop
sed 's/^/# /' "$tmp/err" | tail -3

tap_end
