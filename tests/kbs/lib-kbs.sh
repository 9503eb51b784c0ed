# Sourced by tests: the test key broker (tests/kbs/broker.py) on loopback, with TLS.
#
# kbs_make_certs DIR: a CA (DIR/ca.pem) and a server certificate for DNS:localhost and
#   IP:127.0.0.1 (DIR/server.pem, DIR/server.key), made with openssl; kbs_extra_san adds
#   names (e.g. "IP:10.0.2.2" for a QEMU guest). Returns 1 with $kbs_why set when openssl is
#   missing or fails.
# kbs_start DIR NAME [broker arguments...]: starts a broker with DIR's certificate, --port 0,
#   --ready-file DIR/NAME.ready, --log DIR/NAME.log, its stderr in DIR/NAME.err, and the
#   arguments given (--tee, --policy, --resource, --fault ...; --plain drops TLS). Sets kbs_pid,
#   kbs_port and kbs_url (https://localhost:PORT, or http://127.0.0.1:PORT with --plain).
#   Returns 1 with $kbs_why set when it is not listening within 10 s.
# kbs_stop: SIGTERM, at most 5 s, then SIGKILL; call it from the test's EXIT trap too.
#
# Needs Debian's /usr/bin/python3 with python3-cryptography (a pyenv python3 on PATH may not
# have it); kbs_start says so in $kbs_why. A sourced file cannot know its own path in POSIX
# sh: set kbs_lib_dir to tests/kbs before sourcing, or source it from a script in tests/kbs/ or
# in a folder beside it (tests/integration/), where it finds broker.py by itself.
# shellcheck disable=SC2034 # kbs_url, kbs_port, kbs_why are for the test that sources this
if [ -z "${kbs_lib_dir:-}" ]; then
	kbs_lib_dir=$(cd "$(dirname "$0")" && pwd)
	[ -f "$kbs_lib_dir/broker.py" ] || kbs_lib_dir=$(cd "$kbs_lib_dir/../kbs" && pwd)
fi
kbs_python=/usr/bin/python3
kbs_pid=""

kbs_make_certs() {
	kbs_why=""
	if ! command -v openssl >/dev/null 2>&1; then
		kbs_why="openssl is not installed"
		return 1
	fi
	if ! (
		cd "$1" &&
			openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
				-keyout ca.key -out ca.pem -days 2 -subj /CN=mrboot-test-ca \
				-addext basicConstraints=critical,CA:TRUE \
				-addext keyUsage=critical,keyCertSign &&
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
				-keyout server.key -out server.csr -subj /CN=localhost &&
			printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1${kbs_extra_san:+,$kbs_extra_san}" \
				'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
				'extendedKeyUsage=serverAuth' >server.ext &&
			openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
				-out server.pem -days 2 -extfile server.ext
	) >"$1/openssl.log" 2>&1; then
		kbs_why="openssl could not make the certificates: $(tail -3 "$1/openssl.log")"
		return 1
	fi
}

kbs_start() {
	kbs_why=""
	kbs_dir=$1
	kbs_name=$2
	shift 2
	if ! "$kbs_python" -c 'import cryptography' 2>/dev/null; then
		kbs_why="Debian's python3-cryptography is not installed"
		return 1
	fi
	kbs_scheme=https
	kbs_tls="--cert $kbs_dir/server.pem --key $kbs_dir/server.key"
	for a in "$@"; do
		if [ "$a" = "--plain" ]; then
			kbs_scheme=http
			kbs_tls=""
		fi
	done
	rm -f "$kbs_dir/$kbs_name.ready"
	# shellcheck disable=SC2086 # kbs_tls is two options or none, paths without spaces
	timeout 900 "$kbs_python" "$kbs_lib_dir/broker.py" $kbs_tls \
		--ready-file "$kbs_dir/$kbs_name.ready" --log "$kbs_dir/$kbs_name.log" "$@" \
		2>"$kbs_dir/$kbs_name.err" &
	kbs_pid=$!
	i=0
	while [ ! -s "$kbs_dir/$kbs_name.ready" ] && [ $i -lt 100 ]; do
		kill -0 "$kbs_pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	if [ ! -s "$kbs_dir/$kbs_name.ready" ]; then
		kbs_why="the broker did not come up: $(head -c 400 "$kbs_dir/$kbs_name.err")"
		kbs_stop
		return 1
	fi
	kbs_port=$(cat "$kbs_dir/$kbs_name.ready")
	if [ "$kbs_scheme" = https ]; then
		kbs_url="https://localhost:$kbs_port"
	else
		kbs_url="http://127.0.0.1:$kbs_port"
	fi
}

kbs_stop() {
	if [ -n "$kbs_pid" ]; then
		kill "$kbs_pid" 2>/dev/null
		i=0
		while kill -0 "$kbs_pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$kbs_pid" 2>/dev/null
		wait "$kbs_pid" 2>/dev/null
		kbs_pid=""
	fi
}

# handoff_read SOCKET: the key `mrboot unlock` offers on SOCKET, to stdout, read as
# systemd-cryptsetup reads it (connect, read to EOF; 10 s at most).
handoff_read() {
	"$kbs_python" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
while True:
    b = s.recv(4096)
    if not b:
        break
    sys.stdout.buffer.write(b)' "$1"
}
