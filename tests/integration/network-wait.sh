#!/bin/sh
# TAP: asking the broker before the network is up (issue 16, the initrd's boot cost). In a
# network namespace of its own whose loopback is down, connecting fails with "network is
# unreachable", as in an initrd before DHCP; mrboot attest must wait for the network itself,
# polling without growing its backoff, say so once, and reach the broker within a poll of the
# link coming up, instead of sleeping out a backoff that had grown meanwhile. A refused
# connection (the network up, the broker not) still backs off as before.
# Usage: network-wait.sh MRBOOT
set -u
if [ -z "${MRBOOT_NETNS:-}" ]; then
	# Root only: a namespace of our own, loopback down until the test brings it up.
	if ! unshare -n true 2>/dev/null; then
		. "$(dirname "$0")/../lib/tap.sh"
		skip_all "no network namespace here (unshare -n needs root)"
	fi
	exec unshare -n env MRBOOT_NETNS=1 "$0" "$@"
fi
. "$(dirname "$0")/../lib/tap.sh"
mrboot=$1
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
kbs_lib_dir=$tests_dir/kbs
. "$kbs_lib_dir/lib-kbs.sh"
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'kbs_stop; rm -rf "$tmp"' EXIT

kbs_make_certs "$tmp" || skip_all "$kbs_why"
port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
kbs_start "$tmp" broker --port "$port" --tee sample || bail "$kbs_why"
root=$tmp/root
mkdir -p "$root/etc/mrboot"
cp "$tmp/ca.pem" "$root/etc/mrboot/kbs-ca.pem"
printf '[kbs]\nurl = https://localhost:%s\ntee = sample\ntimeout = 30\n' "$port" \
	>"$root/etc/mrboot.conf"

check "the link is down: a connection is unreachable" sh -c '! "$1" -c "
import socket
socket.create_connection((\"127.0.0.1\", $2), timeout=1)" 2>/dev/null' sh "$py" "$port"
"$mrboot" --root "$root" attest --json >"$tmp/out" 2>"$tmp/err" &
pid=$!
# Longer than the backoff would have grown to (250 ms doubling: 4 s after 4 rounds).
sleep 4
up=$($py -c 'import time; print(time.time())')
ip link set lo up
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
wait "$pid"
status=$?
check "attest succeeds once the link is up (exit $status)" [ "$status" -eq 0 ]
check "it said once that it waits for the network" \
	[ "$(grep -c 'waiting for the network' "$tmp/err")" -eq 1 ]
check "and did not report each poll (stderr: $(wc -l <"$tmp/err") lines)" \
	[ "$(grep -c 'unreachable' "$tmp/err")" -le 1 ]
# The broker's log: the first request's time against the moment the link came up.
delay=$($py - "$tmp/broker.log" "$up" <<'EOF'
import json, sys
up = float(sys.argv[2])
for line in open(sys.argv[1]):
    entry = json.loads(line)
    if "time" in entry and entry.get("path", "").endswith("/auth"):
        print(int((entry["time"] - up) * 1000))
        break
EOF
)
check "the first request reached the broker ${delay:-?} ms after the link came up (< 500)" \
	[ -n "$delay" ] --and [ "$delay" -lt 500 ]

# The network up and the broker gone: refused connections back off as before.
kbs_stop
"$mrboot" --root "$root" attest --json >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 3
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
check "a refused connection backs off (\"trying again in\"), no network wait" \
	grep -q 'trying again in' "$tmp/err" --and sh -c '! grep -q "waiting for the network" "$1"' \
	sh "$tmp/err"
check "in fewer than 6 tries in 3 s ($(grep -c 'trying again in' "$tmp/err"))" \
	[ "$(grep -c 'trying again in' "$tmp/err")" -lt 6 ]
tap_end
