#!/bin/sh
# TAP: `mrboot unlock` end to end on the host, against the test key broker (tests/kbs/broker.py,
# an independent implementation of Trustee's side of RCAR 0.4.0) over TLS on loopback:
#  - sample evidence: the released key, read from the hand-off socket the way
#    systemd-cryptsetup reads it, opens a real LUKS2 image (cryptsetup --test-passphrase);
#    the file hand-off on tmpfs; nothing of the key left anywhere after the volume opens;
#  - TDX: `mrboot measure` into emulated registers that really extend (tests/emulators/tsm-mr.py),
#    then unlock with a configfs-tsm quote and the CCEL, verified and replayed by the broker
#    against a reference-value policy; a tampered kernel command line is refused: no key,
#    the broker's reason shown, exit status 5;
#  - the broker's fault modes: each ends in bounded time with the named error, or recovers
#    by retry, failover or a second handshake where the protocol says it should.
#  - issue 13, part 6: the hand-off under attack by a local process (an unprivileged one as
#    nobody, racing it) and by the broker (an empty key); the keyring under systemd's
#    KeyringMode=private and its key gone after; the process not dumpable;
#  - issue 13, part 7: a broker certificate refused under a clock the host set, and not asked
#    again (with an LD_PRELOAD time(), in the dynamically linked build).
# Usage: unlock.sh MRBOOT FIXTURES_DIR [CLOCK_SHIM BUILD_TIME]
set -u
. "$(dirname "$0")/../lib/tap.sh"
mrboot=$1
fixtures=$2
clock_shim=${3:+$(cd "$(dirname "$3")" && pwd)/$(basename "$3")}
build_time=${4:-0}
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
attack=$tests_dir/witness/handoff-attack.py
kbs_lib_dir=$tests_dir/kbs
. "$kbs_lib_dir/lib-kbs.sh"
. "$tests_dir/lib/configfs-tsm.sh"
. "$tests_dir/lib/tsm-mr.sh"
. "$tests_dir/lib/swtpm.sh"
py=/usr/bin/python3
tmp=$(mktemp -d)
a_pid=""
cleanup() {
	kbs_stop
	[ -n "$a_pid" ] && kill "$a_pid" 2>/dev/null
	tsm_stop
	tsm_mr_stop
	swtpm_stop
	umount "$tmp/sample/run/cryptsetup-keys.d" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

has() { grep -qF -- "$2" "$tmp/$1"; }

kbs_make_certs "$tmp" || {
	skip_all "$kbs_why"
}
# The key: text, so that the keyring hand-off can carry it too.
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$tmp/disk.key"
key=$(cat "$tmp/disk.key")
have_luks=no
if command -v cryptsetup >/dev/null 2>&1; then
	truncate -s 20M "$tmp/disk.img"
	if cryptsetup luksFormat --type luks2 --batch-mode --pbkdf pbkdf2 \
		--pbkdf-force-iterations 1000 "$tmp/disk.img" "$tmp/disk.key" >"$tmp/luks.log" 2>&1; then
		have_luks=yes
	fi
fi

# A root with the configuration and the trust anchor. conf ROOT TEE [extra lines...]
conf() {
	root=$1
	tee=$2
	shift 2
	mkdir -p "$root/etc/mrboot" "$root/dev/mapper"
	cp "$tmp/ca.pem" "$root/etc/mrboot/kbs-ca.pem"
	{
		# The broker's resources here are bare passphrases: the unbound hand-off that
		# volume-identity = optional keeps (tests/integration/volume.sh binds volumes).
		echo "[unlock]"
		echo "volume-identity = optional"
		echo "[kbs]"
		echo "url = $kbs_url"
		echo "tee = $tee"
		echo "timeout = ${conf_timeout:-20}"
		for line in "$@"; do echo "$line"; done
	} >"$root/etc/mrboot.conf"
}

# Reads the key from the hand-off socket as systemd-cryptsetup does (connect, read to EOF)
# and gives it to cryptsetup on stdin; the status is cryptsetup's.
open_with_socket() {
	handoff_read "$1" | cryptsetup open --test-passphrase --key-file=- "$tmp/disk.img"
}

wait_for() { # PATH PID: up to 30 s for PATH to appear while PID runs
	i=0
	while [ ! -e "$1" ] && [ $i -lt 300 ]; do
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$1" ]
}

wait_exit() { # PID: its status, after at most 30 s
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1"
}

no_key_in() { # FILES...: the key's text appears in none of them
	! grep -rqF -- "$key" "$@" 2>/dev/null
}

# ---- sample evidence, socket hand-off, LUKS2 ------------------------------------------------
kbs_start "$tmp" sample --tee sample --resource "default/mrboot/root=$tmp/disk.key" || {
	bail "$kbs_why"
}
root=$tmp/sample
conf "$root" sample
"$mrboot" --root "$root" unlock --volume root --timeout 30 >"$tmp/out" 2>"$tmp/err" &
pid=$!
sock=$root/run/cryptsetup-keys.d/root.key
check "sample: the key is offered on $sock" wait_for "$sock" "$pid"
check "sample: as a socket only root may use (srw-------)" \
	[ "$(stat -c %A "$sock" 2>/dev/null)" = "srw-------" ]
if [ "$have_luks" = yes ]; then
	check "sample: the key read from the socket opens the LUKS2 image" open_with_socket "$sock"
	check "sample: and again (a second reader, as after a failed first try)" open_with_socket "$sock"
else
	skip "cryptsetup is missing or cannot format a LUKS2 image here: $(tail -1 "$tmp/luks.log" 2>/dev/null)"
	skip "cryptsetup is missing"
fi
: >"$root/dev/mapper/root"
wait_exit "$pid"
status=$?
check "sample: unlock exits 0 once /dev/mapper/root exists" [ "$status" -eq 0 ]
check "sample: the socket is gone" [ ! -e "$sock" ]
check "sample: it says the volume is open" has err "volume root is open"
check "sample: nothing on stdout" [ ! -s "$tmp/out" ]
check "sample: the key is in no log, output or file under the root" \
	no_key_in "$tmp/out" "$tmp/err" "$tmp/sample.log" "$root"
check "sample: the broker saw auth, attest and resource, once each" \
	$py -c 'import json,sys
paths = [json.loads(l)["path"] for l in open(sys.argv[1])]
assert paths == ["/kbs/v0/auth", "/kbs/v0/attest", "/kbs/v0/resource/default/mrboot/root"], paths' "$tmp/sample.log"
check "sample: all three on one connection, with one full TLS handshake (keep-alive)" \
	$py -c 'import json,sys
seen = [(e["conn"], e["tls_resumed"]) for e in map(json.loads, open(sys.argv[1]))]
assert len(seen) == 3 and len(set(seen)) == 1 and seen[0][1] is False, seen' "$tmp/sample.log"

# ---- the file hand-off on tmpfs ---------------------------------------------------------------
mkdir -p "$root/run/cryptsetup-keys.d"
rm -f "$root/dev/mapper/root"
if mount -t tmpfs -o mode=0700,size=1m tmpfs "$root/run/cryptsetup-keys.d" 2>/dev/null; then
	"$mrboot" --root "$root" unlock --volume root --handoff file --timeout 30 >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	file=$root/run/cryptsetup-keys.d/root.key
	check "file: the key is written to $file" wait_for "$file" "$pid"
	check "file: mode 0400" [ "$(stat -c %a "$file" 2>/dev/null)" = 400 ]
	if [ "$have_luks" = yes ]; then
		check "file: it opens the LUKS2 image" \
			cryptsetup open --test-passphrase --key-file="$file" "$tmp/disk.img"
	else
		skip "cryptsetup is missing"
	fi
	: >"$root/dev/mapper/root"
	wait_exit "$pid"
	check "file: unlock exits 0 once the volume is open" [ $? -eq 0 ]
	check "file: the file is removed" [ ! -e "$file" ]
	umount "$root/run/cryptsetup-keys.d"
else
	skip "cannot mount a tmpfs here (the file hand-off refuses anything else)"
fi
rm -f "$root/dev/mapper/root"
mkdir -p -m 0700 "$tmp/notmpfs/run/cryptsetup-keys.d"
conf "$tmp/notmpfs" sample
"$mrboot" --root "$tmp/notmpfs" unlock --volume root --handoff file --timeout 5 >"$tmp/out" 2>"$tmp/err"
check "file: refused where the directory is not tmpfs (exit 6)" [ $? -eq 6 ]
check "file: saying why" has err "is not on tmpfs or ramfs"
check "file: and leaving nothing there" [ -z "$(ls -A "$tmp/notmpfs/run/cryptsetup-keys.d")" ]

# ---- issue 13, part 6: the hand-off under attack ---------------------------------------------
nobody=$(id -u nobody)
# What nobody runs must be reachable by nobody: a clone in a directory of mode 0700 (mktemp -d,
# as CI makes) is not. Copies in $tmp (0711 below); a cross build's qemu wrapper is rewritten
# to run the copied agent.
mkdir -p "$tmp/bin"
cp "$attack" "$tmp/bin/handoff-attack.py"
nobody_attack=$tmp/bin/handoff-attack.py
elf=$(sed -n "s|^exec '[^']*qemu-[^']*' '\([^']*\)' \"\$@\"\$|\1|p" "$mrboot" 2>/dev/null)
if [ -n "$elf" ]; then
	cp "$elf" "$tmp/bin/mrboot.elf"
	sed "s|'$elf'|'$tmp/bin/mrboot.elf'|" "$mrboot" >"$tmp/bin/mrboot"
else
	cp "$mrboot" "$tmp/bin/mrboot"
fi
chmod 0755 "$tmp/bin" "$tmp/bin/"*
nobody_mrboot=$tmp/bin/mrboot
# unlock_bg ROOT ARGS...: unlock in the background ($pid), output in $tmp/out and $tmp/err.
unlock_bg() {
	r=$1
	shift
	rm -f "$r/dev/mapper/root"
	"$mrboot" --root "$r" unlock --volume root "$@" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
}
gone_within() { # PID: it exited within 5 s
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	! kill -0 "$1" 2>/dev/null
}

# A key directory a local user may write (0777): refused before any key is there.
root=$tmp/attack
conf "$root" sample
mkdir -p "$root/run" && mkdir -m 0777 "$root/run/cryptsetup-keys.d"
unlock_bg "$root" --timeout 10
check "a world-writable key directory: refused at once, nothing offered (exit 6)" \
	sh -c 'wait_gone() { i=0; while kill -0 $1 2>/dev/null && [ $i -lt 50 ]; do
		[ -e "$2" ] && return 1; sleep 0.1; i=$((i + 1)); done; [ ! -e "$2" ]; }
		wait_gone "$1" "$2"' _ "$pid" "$root/run/cryptsetup-keys.d/root.key"
wait_exit "$pid"
check "world-writable: exit 6" [ $? -eq 6 ]
check "world-writable: saying who could do what" has err "mode 0777: others could plant or take the key"
rmdir "$root/run/cryptsetup-keys.d"

# The key directory a symbolic link to a directory of nobody's: never followed.
mkdir -p "$tmp/nobodys" && chown "$nobody" "$tmp/nobodys" && chmod 0700 "$tmp/nobodys"
chmod 0711 "$tmp" # nobody may pass through, not list
ln -s "$tmp/nobodys" "$root/run/cryptsetup-keys.d"
unlock_bg "$root" --timeout 10
check "a symbolic link as the key directory: refused at once" gone_within "$pid"
wait_exit "$pid"
check "symlink: exit 6, naming the directory" \
	sh -c '[ "$1" -eq 6 ] && grep -q "opening .*cryptsetup-keys.d" "$2"' _ $? "$tmp/err"
check "symlink: nothing in nobody's directory" [ -z "$(ls -A "$tmp/nobodys")" ]
rm "$root/run/cryptsetup-keys.d"

# A local user who may write the directory (here: owns it, on tmpfs) races the file hand-off:
# as the key appears it is renamed aside and a file of the user's planted under its name. On
# main, mrboot wrote the key there, then "wiped" the planted file by name and reported the key
# gone while the real one stayed aside. Now the directory is refused before a key is written.
mkdir -m 0700 "$root/run/cryptsetup-keys.d"
if mount -t tmpfs -o "mode=0700,uid=$nobody,size=1m" tmpfs "$root/run/cryptsetup-keys.d" 2>/dev/null; then
	setpriv --reuid="$nobody" --regid="$(id -g nobody)" --clear-groups \
		$py "$nobody_attack" swap "$root/run/cryptsetup-keys.d" root.key aside >"$tmp/swap.out" 2>&1 &
	swap_pid=$!
	unlock_bg "$root" --handoff file --timeout 10
	sleep 1
	: >"$root/dev/mapper/root"
	wait_exit "$pid"
	status=$?
	kill "$swap_pid" 2>/dev/null
	wait "$swap_pid" 2>/dev/null
	check "a key directory owned by another user: refused (exit 6)" [ "$status" -eq 6 ]
	check "owned by nobody: saying so" has err "user $nobody, mode 0700: others could plant or take the key"
	check "the racing user got nothing: no key aside, none under its name" \
		sh -c '! grep -rqF -- "$1" "$2"' _ "$key" "$root/run/cryptsetup-keys.d"
	umount "$root/run/cryptsetup-keys.d"
else
	skip "cannot mount a tmpfs here"
	skip "cannot mount a tmpfs here"
	skip "cannot mount a tmpfs here"
fi

# In the directory as it must be (root's, 0700, tmpfs) only root can touch the file. Whoever
# does, the key is wiped through the descriptor that wrote it, and a name that is no longer
# mrboot's file is left alone: root (standing in) moves the key aside and plants a file.
if mount -t tmpfs -o mode=0700,size=1m tmpfs "$root/run/cryptsetup-keys.d" 2>/dev/null; then
	kdir=$root/run/cryptsetup-keys.d
	$py "$attack" watch "$kdir" root.key "$tmp/stop-watch" "$tmp/watch.log" &
	watch_pid=$!
	i=0
	while ! grep -q ready "$tmp/watch.log" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	unlock_bg "$root" --handoff file --timeout 30
	check "file: offered in the checked directory" wait_for "$kdir/root.key" "$pid"
	sleep 0.3
	: >"$tmp/stop-watch"
	wait "$watch_pid"
	# On main: CREATE (open O_CREAT, empty), then MODIFY (the write): a reader between the
	# two (initramfs-tools' keyscript) read an empty key.
	check "file: its name appears with the whole key behind it (CREATE, no MODIFY after)" \
		[ "$(cat "$tmp/watch.log")" = "$(printf 'ready\nCREATE root.key')" ]
	check "file: and it holds the key" [ "$(cat "$kdir/root.key")" = "$key" ]
	mv "$kdir/root.key" "$kdir/aside"
	echo planted >"$kdir/root.key"
	: >"$root/dev/mapper/root"
	wait_exit "$pid"
	check "moved aside: unlock still exits 0 once the volume is open" [ $? -eq 0 ]
	check "moved aside: the key is wiped where it went (zeros through its descriptor)" \
		sh -c '[ -z "$(tr -d "\000" <"$1")" ]' _ "$kdir/aside"
	check "moved aside: the planted file is not taken for the key, nor removed" \
		[ "$(cat "$kdir/root.key")" = planted ]
	check "moved aside: said" has err "root.key was replaced: key wiped, name left"
	umount "$kdir"
else
	for i in 1 2 3 4 5 6 7; do skip "cannot mount a tmpfs here"; done
fi

# The process that holds the key: not dumpable, core size 0. Run as nobody here (in a root of
# nobody's), where the kernel shows it plainly: a non-dumpable process's /proc/PID belongs to
# root, and another process of the same user may not read its memory or environment (root
# would need CAP_SYS_PTRACE, which this sandbox's kernel does not hold it to).
nroot=$tmp/asnobody
conf "$nroot" sample
chown -R "$nobody" "$nroot"
rm -f "$nroot/dev/mapper/root"
# setpriv itself, not as_nobody (a function in the background is a subshell): $! is mrboot.
setpriv --reuid="$nobody" --regid="$(id -g nobody)" --clear-groups \
	"$nobody_mrboot" --root "$nroot" unlock --volume root --timeout 30 >"$tmp/out" 2>"$tmp/err" &
pid=$!
check "dumpable: the key is on offer (unlock as nobody)" \
	wait_for "$nroot/run/cryptsetup-keys.d/root.key" "$pid"
check "dumpable: it is nobody's process" \
	sh -c 'grep -q "^Uid:[[:space:]]*$2[[:space:]]" /proc/$1/status' _ "$pid" "$nobody"
check "dumpable: /proc/PID of nobody's unlock belongs to root (not dumpable)" \
	[ "$(stat -c %u "/proc/$pid/environ" 2>/dev/null)" = 0 ]
check "dumpable: another process of nobody's cannot read its environment" \
	sh -c '! setpriv --reuid="$1" --regid="$2" --clear-groups cat "/proc/$3/environ" >/dev/null 2>&1' \
	_ "$nobody" "$(id -g nobody)" "$pid"
check "dumpable: core file size 0" \
	sh -c 'grep -q "^Max core file size *0 *0 " /proc/$1/limits' _ "$pid"
: >"$nroot/dev/mapper/root"
wait_exit "$pid"
check "dumpable: nobody's unlock exits 0 once the volume is open" [ $? -eq 0 ]

# The broker releases an empty secret: refused, naming the resource; nothing offered.
: >"$tmp/empty.key"
kbs_stop
kbs_start "$tmp" empty --tee sample --resource "default/mrboot/root=$tmp/empty.key" || exit 1
conf "$tmp/empty" sample
: >"$tmp/empty/dev/mapper/root"
"$mrboot" --root "$tmp/empty" unlock --volume root --handoff none >"$tmp/out" 2>"$tmp/err"
check "an empty key from the broker: no key (exit 5)" [ $? -eq 5 ]
check "empty: naming the resource" \
	has err "default/mrboot/root from https://localhost:$kbs_port: the released secret is empty"
kbs_stop
kbs_start "$tmp" sample2 --tee sample --resource "default/mrboot/root=$tmp/disk.key" || exit 1

# The keyring, as the initrd unit runs mrboot: a session keyring of its own that does not link
# the user keyring (KeyringMode=private, systemd's default). On main, setting the timeout of a
# key it did not possess failed: "Permission denied", exit 6.
# qemu's user emulation, which runs a cross build's agent (tests/lib/exe-wrapper.sh), has no
# add_key or keyctl (ENOSYS): there the keyring is left to the native build and the VM test.
if grep -q "^exec '[^']*qemu-" "$mrboot" 2>/dev/null; then
	for what in "on offer" "read by systemd-cryptsetup's lookup" "exit 0" "invalidated" \
		"said" "SIGTERM"; do
		skip "keyring ($what): qemu's user emulation implements no add_key or keyctl"
	done
else
	conf "$root" sample
	unlock_bg_kr() {
		rm -f "$root/dev/mapper/root"
		$py "$attack" private-session "$mrboot" --root "$root" unlock --volume root --keyring \
			--timeout 30 >"$tmp/out" 2>"$tmp/err" &
		pid=$!
	}
	unlock_bg_kr
	check "keyring under KeyringMode=private: the keys are on offer" \
		wait_for "$root/run/cryptsetup-keys.d/root.key" "$pid"
	check "keyring: systemd-cryptsetup's lookup (request_key in a session that links @u) reads the key" \
		sh -c '[ "$($1 "$2" keyring-read "$3")" = "$4" ]' _ "$py" "$attack" "$tmp/serial" "$key"
	: >"$root/dev/mapper/root"
	wait_exit "$pid"
	check "keyring: unlock exits 0 once the volume is open" [ $? -eq 0 ]
	check "keyring: the key is invalidated then, not left for its timeout" \
		$py "$attack" keyring-gone "$(cat "$tmp/serial" 2>/dev/null || echo 0)"
	check "keyring: said" has err "added and invalidated"
	# Stopped before the volume opens (SIGTERM, as at switch-root): invalidated all the same.
	unlock_bg_kr
	wait_for "$root/run/cryptsetup-keys.d/root.key" "$pid"
	$py "$attack" keyring-read "$tmp/serial" >/dev/null
	kill -TERM "$pid"
	wait_exit "$pid"
	check "keyring: stopped by SIGTERM: exit 6, the key invalidated" \
		sh -c '[ "$1" -eq 6 ] && $2 "$3" keyring-gone "$4"' _ $? "$py" "$attack" "$(cat "$tmp/serial")"
fi

# ---- issue 13, part 7: the clock the host sets -----------------------------------------------
# The broker's certificate was made now, after the build: under an unset clock (1970) it is
# not valid at the build's time either. Refused, saying which clock, and (a refusal) not asked
# again: the clock does not change by waiting for it.
if [ -z "$clock_shim" ]; then
	skip "the clock case needs the dynamic build without sanitizers (an LD_PRELOAD time())"
	skip "the clock case needs the dynamic build without sanitizers"
else
	conf "$root" sample
	: >"$root/dev/mapper/root"
	start=$(date +%s%N)
	MRBOOT_TEST_CLOCK=0 LD_PRELOAD=$clock_shim "$mrboot" --root "$root" unlock --volume root \
		--handoff none >"$tmp/out" 2>"$tmp/err"
	status=$?
	elapsed=$((($(date +%s%N) - start) / 1000000))
	check "clock unset: no key (exit 5), in one attempt (${elapsed} ms), not asked again" \
		sh -c '[ "$1" -eq 5 ] && [ "$2" -lt 3000 ] && grep -q "(not asked again)" "$3"' \
		_ "$status" "$elapsed" "$tmp/err"
	check "clock unset: the message names the clock the host set and the build's date" \
		has err "(the clock, which the host sets, says 1970-01-01; mrboot never checks against a time before its build, $(date -u -d "@$build_time" +%Y-%m-%d))"
fi
kbs_stop

# ---- several volumes: one attested session for all, and a key one broker lacks -------------
# Broker A has only root's key (404 for data), broker B has both: root comes from A, data from
# B; each broker sees one auth and one attest, and A is not asked for root again.
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$tmp/data.key"
kbs_start "$tmp" multi-a --tee sample --missing-resource-status 404 \
	--resource "default/mrboot/root=$tmp/disk.key" || exit 1
a_pid=$kbs_pid
a_url=$kbs_url
kbs_start "$tmp" multi-b --tee sample --resource "default/mrboot/root=$tmp/disk.key" \
	--resource "default/mrboot/data=$tmp/data.key" || exit 1
root=$tmp/multi
conf "$root" sample
sed -i "s|^url = .*|url = $a_url\nurl = $kbs_url|" "$root/etc/mrboot.conf"
"$mrboot" --root "$root" unlock --volume root --volume data --timeout 30 >"$tmp/out" 2>"$tmp/err" &
pid=$!
check "two volumes: both keys offered" \
	wait_for "$root/run/cryptsetup-keys.d/data.key" "$pid"
check "two volumes: root's key is root's" \
	[ "$(handoff_read "$root/run/cryptsetup-keys.d/root.key")" = "$key" ]
check "two volumes: data's key is data's" \
	[ "$(handoff_read "$root/run/cryptsetup-keys.d/data.key")" = "$(cat "$tmp/data.key")" ]
: >"$root/dev/mapper/root"
: >"$root/dev/mapper/data"
wait_exit "$pid"
check "two volumes: unlock exits 0 once both are open" [ $? -eq 0 ]
check "two volumes: broker A: one handshake, root released, data not found" \
	$py -c 'import json,sys
seen = [(e["path"], e["status"]) for e in map(json.loads, open(sys.argv[1]))]
assert seen == [("/kbs/v0/auth", 200), ("/kbs/v0/attest", 200),
                ("/kbs/v0/resource/default/mrboot/root", 200),
                ("/kbs/v0/resource/default/mrboot/data", 404)], seen' "$tmp/multi-a.log"
check "two volumes: broker B: one handshake, and only the key still missing" \
	$py -c 'import json,sys
seen = [(e["path"], e["status"]) for e in map(json.loads, open(sys.argv[1]))]
assert seen == [("/kbs/v0/auth", 200), ("/kbs/v0/attest", 200),
                ("/kbs/v0/resource/default/mrboot/data", 200)], seen' "$tmp/multi-b.log"
check "two volumes: A's refusal is said, naming the resource" has err "default/mrboot/data"
kbs_stop
kill "$a_pid" 2>/dev/null
wait "$a_pid" 2>/dev/null
a_pid=""

# ---- a broker that closes after every answer: a connection per request, TLS resumed ---------
kbs_start "$tmp" nka --tee sample --no-keep-alive --resource "default/mrboot/root=$tmp/disk.key" || {
	bail "$kbs_why"
}
conf "$tmp/nka" sample
: >"$tmp/nka/dev/mapper/root"
"$mrboot" --root "$tmp/nka" unlock --volume root --handoff none >"$tmp/out" 2>"$tmp/err"
check "no keep-alive: the key is released all the same (exit 0)" [ $? -eq 0 ]
# What the broker saw (Python's ssl: SSLSocket.session_reused), connections counted from 1.
check "no keep-alive: three connections, the 2nd and 3rd resuming the 1st's TLS session" \
	$py -c 'import json,sys
seen = [(e["conn"], e["tls_resumed"], e["path"]) for e in map(json.loads, open(sys.argv[1]))]
first = seen[0][0]
seen = [(c - first + 1, r, p.rsplit("/", 1)[-1] if "resource" not in p else "resource")
        for c, r, p in seen]
assert seen == [(1, False, "auth"), (2, True, "attest"), (3, True, "resource")], seen' "$tmp/nka.log"
kbs_stop

# ---- faults: each bounded, named, and recovered from where the protocol allows ----------------
# fault NAME TIMEOUT BROKER-FAULTS... -- runs unlock with [kbs] timeout TIMEOUT against a
# broker with those faults; leaves $status, $elapsed (ms) and the logs in $tmp/err, $tmp/f.log.
fault() {
	name=$1
	timeout=$2
	shift 2
	rm -f "$tmp/f.log"
	kbs_start "$tmp" f --tee sample --resource "default/mrboot/root=$tmp/disk.key" \
		--slow-seconds 6 "$@" || {
		bail "$kbs_why"
	}
	froot=$tmp/fault-$name
	conf_timeout=$timeout conf "$froot" sample
	: >"$froot/dev/mapper/root"
	start=$(date +%s%N)
	"$mrboot" --root "$froot" unlock --volume root --handoff none >"$tmp/out" 2>"$tmp/err"
	status=$?
	elapsed=$((($(date +%s%N) - start) / 1000000))
	cp "$tmp/f.log" "$tmp/f.last.log" 2>/dev/null
	kbs_stop
}
count() { # PATH: requests the broker logged for it
	$py -c 'import json,sys; print(sum(json.loads(l)["path"] == sys.argv[2] for l in open(sys.argv[1])))' \
		"$tmp/f.last.log" "$1"
}

fault retry-5xx 20 --fault 5xx:auth:2
check "5xx twice on auth: retried with backoff, then the key (exit 0)" [ "$status" -eq 0 ]
check "5xx: three auth requests" [ "$(count /kbs/v0/auth)" -eq 3 ]
check "5xx: the failures logged with step, URL and the broker's reason" \
	has err "auth https://localhost:"

fault down 20 --fault down:auth:1
check "a broker that drops the connection once: retried, key released" [ "$status" -eq 0 ]

fault expired 20 --fault expired-session:resource:1
check "a session expired before the resource: one new handshake, key released" [ "$status" -eq 0 ]
check "expired: two auth requests" [ "$(count /kbs/v0/auth)" -eq 2 ]

fault reset 20 --fault reset:resource:1
check "a connection reset mid-response: retried, key released" [ "$status" -eq 0 ]

fault deny401 20 --fault 401:auth:0
check "401 on auth: no key (exit 5)" [ "$status" -eq 5 ]
check "401: not retried against the same broker (one auth, under 2 s: ${elapsed} ms)" \
	sh -c '[ "$1" -eq 1 ] && [ "$2" -lt 2000 ]' _ "$(count /kbs/v0/auth)" "$elapsed"
check "401: the message names HTTP 401 and the broker's reason" has err "HTTP 401: "

fault badtag 20 --fault bad-jwe-tag:resource:0
check "a JWE with a corrupted tag: no key (exit 5)" [ "$status" -eq 5 ]
check "bad tag: said to not authenticate" has err "authenticate"

fault badalg 20 --fault unsupported-alg:resource:0
check "a JWE with an unsupported algorithm: no key (exit 5)" [ "$status" -eq 5 ]
check "unsupported alg: the algorithm named" has err "A128KW"

fault malformed 3 --fault malformed-json:auth:0
check "malformed JSON on every auth: exit 5 at the deadline (${elapsed} ms)" \
	sh -c '[ "$1" -eq 5 ] && [ "$2" -lt 6000 ]' _ "$status" "$elapsed"
check "malformed: said to be not JSON" has err "not JSON"

fault nonce 3 --fault wrong-nonce:auth:0
check "a nonce of the wrong size: exit 5" [ "$status" -eq 5 ]
check "wrong nonce: said so" has err "nonce"

fault slow 2 --fault slow:auth:0
check "a broker slower than the deadline: exit 5 within it (${elapsed} ms)" \
	sh -c '[ "$1" -eq 5 ] && [ "$2" -lt 4500 ]' _ "$status" "$elapsed"
check "slow: the deadline named" has err "deadline"

fault oversize 3 --fault oversize:resource:0
check "an oversized answer: exit 5 (${elapsed} ms)" \
	sh -c '[ "$1" -eq 5 ] && [ "$2" -lt 8000 ]' _ "$status" "$elapsed"

check "no fault case left the key in its output" no_key_in "$tmp/out" "$tmp/err"

# Failover: the first URL refuses connections (a closed port), the second broker answers.
kbs_start "$tmp" second --tee sample --resource "default/mrboot/root=$tmp/disk.key" || exit 1
froot=$tmp/failover
conf "$froot" sample
closed=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -i "s|^url = .*|url = https://localhost:$closed\nurl = $kbs_url|" "$froot/etc/mrboot.conf"
: >"$froot/dev/mapper/root"
"$mrboot" --root "$froot" unlock --volume root --handoff none >"$tmp/out" 2>"$tmp/err"
check "failover: a dead first broker, the key from the second (exit 0)" [ $? -eq 0 ]
check "failover: the first one's failure named with its URL" has err "https://localhost:$closed"
kbs_stop

# ---- TDX: measure into registers that extend, attest with the quote and the CCEL -------------
tdx_case() { # NAME CMDLINE: measure and unlock a TDX root whose kernel command line is CMDLINE
	root=$tmp/$1
	mkdir -p "$root"
	$py "$fixtures/mktree.py" "$fixtures/tdx-boot.spec" "$root" || return 1
	printf '%s\n' "$2" >"$root/proc/cmdline"
	conf "$root" auto
	tsm_mr_start "$root" tdx "$tmp/$1.mr.log" || return 1
	tsm_start "$root" tdx_guest "$tmp/$1.tsm.log" --measurements "$tsm_mr_dir" || return 1
	"$mrboot" --root "$root" measure >"$tmp/$1.measure" 2>&1 || return 1
	: >"$root/dev/mapper/root"
	start=$(date +%s%N)
	"$mrboot" --root "$root" unlock --volume root --handoff none >"$tmp/out" 2>"$tmp/err"
	status=$?
	elapsed=$((($(date +%s%N) - start) / 1000000))
	tsm_stop
	tsm_mr_stop
	return 0
}
cmdline="BOOT_IMAGE=/vmlinuz-7.2.13-amd64 root=/dev/mapper/root ro quiet"
# A policy written by hand, independent of mrboot predict: exactly these events with exactly
# these contents (the configuration by digest).
policy() { # ROOT: the policy file for this root's configuration
	$py - "$1/etc/mrboot.conf" "$cmdline" >"$tmp/policy.json" <<'EOF'
import hashlib, json, sys
conf = hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()
print(json.dumps({
    "version": 1,
    "tees": {"tdx": {"eventlog": "required"}, "tpm": {"eventlog": "required"}},
    "domains": ["mrboot"], "other_domains": "deny",
    "events": [
        {"domain": "mrboot", "operation": "kernel-cmdline", "required": True, "max": 1,
         "index": {"tdx": 3, "tpm": 15}, "content_json": {"cmdline": sys.argv[2]}},
        {"domain": "mrboot", "operation": "config", "required": True, "max": 1,
         "content_json": {"path": "/etc/mrboot.conf", "sha256": conf}},
        {"domain": "mrboot", "operation": "separator", "required": True, "separator": True,
         "content": "{\"phase\":\"measurements-done\"}"}]}))
EOF
}
if [ ! -c /dev/fuse ] || ! $py -c 'import fusepy' 2>/dev/null; then
	skip "TDX: FUSE or python3-fusepy is missing, the emulators cannot run"
else
	# The broker needs the policy, the policy the configuration's digest, the configuration
	# the broker's URL: start a placeholder to learn nothing but a free port first.
	port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	kbs_url=https://localhost:$port
	# The policy is mrboot predict's, made from the image (the probe: the same tree and
	# configuration) before anything boots: RTMR2 whole with the firmware's CCEL, and exactly
	# the events.
	mkdir -p "$tmp/probe" && $py "$fixtures/mktree.py" "$fixtures/tdx-boot.spec" "$tmp/probe" &&
		conf "$tmp/probe" auto &&
		"$mrboot" --root "$tmp/probe" predict --platform tdx --cmdline "$cmdline" \
			--firmware-log "$tmp/probe/sys/firmware/acpi/tables/data/CCEL" \
			--format broker-policy >"$tmp/policy.json" || bail "mrboot predict failed"
	kbs_start "$tmp" tdx --port "$port" --tee tdx --policy "$tmp/policy.json" \
		--resource "default/mrboot/root=$tmp/disk.key" || {
		bail "$kbs_why"
	}
	if tdx_case tdx "$cmdline"; then
		check "tdx: unlock with a quote and the CCEL releases the key (exit 0)" [ "$status" -eq 0 ]
		check "tdx: detected, not configured" has err "tdx evidence"
	else
		check "tdx: the emulators and measure ran ($(tail -2 "$tmp/tdx.measure" 2>/dev/null))" false
	fi
	if tdx_case tampered "$cmdline init=/bin/sh"; then
		check "tdx tampered: a changed kernel command line gets no key (exit 5)" [ "$status" -eq 5 ]
		check "tdx tampered: the broker's policy reason is shown" has err "PolicyDeny"
		check "tdx tampered: naming the event" has err "kernel-cmdline"
		check "tdx tampered: refused, not retried until the deadline (${elapsed} ms)" \
			[ "$elapsed" -lt 10000 ]
		check "tdx tampered: nothing offered" [ ! -e "$tmp/tampered/run/cryptsetup-keys.d/root.key" ]
	else
		check "tdx tampered: the emulators and measure ran" false
	fi
	kbs_stop
fi

# ---- TPM: measure into a real TPM (swtpm), attest with a quote by its attestation key --------
mkdir -p "$tmp/swtpm"
if ! swtpm_start "$tmp/swtpm"; then
	skip "TPM: $swtpm_why"
else
	port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	kbs_url=https://localhost:$port
	tpm_case() { # NAME CMDLINE
		root=$tmp/$1
		mkdir -p "$root/proc"
		printf '%s\n' "$2" >"$root/proc/cmdline"
		conf "$root" auto "[tpm]" "socket = $swtpm_sock"
		"$mrboot" --root "$root" measure >"$tmp/$1.measure" 2>&1 || return 1
		: >"$root/dev/mapper/root"
		start=$(date +%s%N)
		"$mrboot" --root "$root" unlock --volume root --handoff none >"$tmp/out" 2>"$tmp/err"
		status=$?
		elapsed=$((($(date +%s%N) - start) / 1000000))
	}
	# mrboot predict's policy: a fresh TPM, whose PCR 15 only mrboot extends.
	mkdir -p "$tmp/probe-tpm" && conf "$tmp/probe-tpm" auto "[tpm]" "socket = $swtpm_sock" &&
		"$mrboot" --root "$tmp/probe-tpm" predict --platform tpm --cmdline "$cmdline" \
			--alone pcr15 --format broker-policy >"$tmp/policy.json" ||
		bail "mrboot predict failed"
	kbs_start "$tmp" tpm --port "$port" --tee tpm --tpm-ak-tofu --policy "$tmp/policy.json" \
		--resource "default/mrboot/root=$tmp/disk.key" || {
		bail "$kbs_why"
	}
	if tpm_case tpm "$cmdline"; then
		check "tpm: unlock with a quote over the PCRs and the event log releases the key" \
			[ "$status" -eq 0 ]
		check "tpm: the TEE was the TPM" has err "tpm evidence"
	else
		check "tpm: measure ran ($(tail -2 "$tmp/tpm.measure"))" false
	fi
	# A fresh TPM (a new boot) at the same socket, with a changed command line: the quote
	# and the log agree, and the broker's policy refuses the event.
	swtpm_stop
	rm -rf "$tmp/swtpm" && mkdir -p "$tmp/swtpm"
	swtpm_start "$tmp/swtpm" || exit 1
	if tpm_case tpm-tampered "$cmdline init=/bin/sh"; then
		check "tpm tampered: no key (exit 5)" [ "$status" -eq 5 ]
		check "tpm tampered: the broker's reason names the event" has err "kernel-cmdline"
	else
		check "tpm tampered: measure ran ($(tail -2 "$tmp/tpm-tampered.measure"))" false
	fi
	kbs_stop

	# `mrboot run`, as the initrd unit starts it: a fresh TPM (a new boot), measure, verify,
	# unlock the configured volume, READY=1 to systemd's notify socket once the key is offered.
	swtpm_stop
	rm -rf "$tmp/swtpm" && mkdir -p "$tmp/swtpm"
	swtpm_start "$tmp/swtpm" || exit 1
	root=$tmp/run
	mkdir -p "$root/proc"
	printf '%s\n' "$cmdline" >"$root/proc/cmdline"
	conf "$root" auto "[tpm]" "socket = $swtpm_sock" "[unlock]" "volume = root"
	# The policy pins the configuration's digest: this one adds [unlock], so a broker with
	# its own policy.
	port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	kbs_url=https://localhost:$port
	sed -i "s|^url = .*|url = $kbs_url|" "$root/etc/mrboot.conf"
	policy "$root"
	kbs_start "$tmp" run --port "$port" --tee tpm --tpm-ak-tofu --policy "$tmp/policy.json" \
		--resource "default/mrboot/root=$tmp/disk.key" || exit 1
	$py -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
open(sys.argv[2], "w").write(s.recv(256).decode())' "$tmp/notify.sock" "$tmp/notify.msg" &
	notify_pid=$!
	i=0
	while [ ! -S "$tmp/notify.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	NOTIFY_SOCKET=$tmp/notify.sock "$mrboot" --root "$root" run >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	sock=$root/run/cryptsetup-keys.d/root.key
	check "run: measured, verified, and the key offered on the socket" wait_for "$sock" "$pid"
	wait_exit "$notify_pid"
	check "run: READY=1 sent to NOTIFY_SOCKET once the key is on offer" \
		[ "$(cat "$tmp/notify.msg" 2>/dev/null)" = "READY=1" ]
	if [ "$have_luks" = yes ]; then
		check "run: the offered key opens the LUKS2 image" open_with_socket "$sock"
	else
		skip "cryptsetup is missing"
	fi
	: >"$root/dev/mapper/root"
	wait_exit "$pid"
	check "run: exits 0 once the volume is open" [ $? -eq 0 ]
	check "run: one line per step" grep -q "step verify" "$tmp/err"
	check "run: the attest step" grep -q "step attest and release" "$tmp/err"
	check "run: and its end" grep -q "run: done" "$tmp/err"
	check "run: the replay verdict for PCR 15 printed" grep -q "pcr15" "$tmp/out"

	# `run --handoff file`, as initramfs-tools' local-top starts it: this boot is already
	# measured, so run verifies and offers the key as a 0400 file on tmpfs for the keyscript.
	rm -f "$root/dev/mapper/root"
	if mount -t tmpfs -o mode=0700,size=1m tmpfs "$root/run/cryptsetup-keys.d" 2>/dev/null; then
		"$mrboot" --root "$root" run --handoff file >"$tmp/out" 2>"$tmp/err" &
		pid=$!
		check "run --handoff file: the key is written as a file" wait_for "$sock" "$pid"
		check "run --handoff file: a regular file, mode 0400" \
			[ -f "$sock" ] && [ "$(stat -c %a "$sock")" = 400 ]
		if [ "$have_luks" = yes ]; then
			check "run --handoff file: it opens the LUKS2 image" \
				cryptsetup open --test-passphrase --key-file="$sock" "$tmp/disk.img"
		else
			skip "cryptsetup is missing"
		fi
		: >"$root/dev/mapper/root"
		wait_exit "$pid"
		check "run --handoff file: exits 0 once the volume is open" [ $? -eq 0 ]
		check "run --handoff file: the file is removed" [ ! -e "$sock" ]
		check "run --handoff file: not measured twice in one boot" \
			grep -q "this boot was measured already" "$tmp/err"
		umount "$root/run/cryptsetup-keys.d"
	else
		skip "cannot mount a tmpfs here (the file hand-off refuses anything else)"
	fi

	# An initrd whose volume the token plugin opens: no [unlock] volume. run measures (here:
	# already measured) and verifies, asks no broker, offers nothing, and still says READY=1:
	# a Type=notify unit whose process exits without it fails (result 'protocol').
	grep -v '^volume = ' "$root/etc/mrboot.conf" >"$root/etc/mrboot-token.conf"
	rm -f "$tmp/notify.sock" "$tmp/notify.msg" "$root/dev/mapper/root"
	seen=$(wc -l <"$tmp/run.log")
	$py -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
open(sys.argv[2], "w").write(s.recv(256).decode())' "$tmp/notify.sock" "$tmp/notify.msg" &
	notify_pid=$!
	i=0
	while [ ! -S "$tmp/notify.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	NOTIFY_SOCKET=$tmp/notify.sock "$mrboot" --root "$root" -c /etc/mrboot-token.conf run \
		>"$tmp/out" 2>"$tmp/err" &
	pid=$!
	wait_exit "$pid"
	check "run without [unlock] volume: exits 0 after verifying" [ $? -eq 0 ] --and \
		grep -q "step verify" "$tmp/err"
	check "run without [unlock] volume: says there is nothing to unlock" \
		grep -q "no \[unlock\] volume configured: nothing to unlock" "$tmp/err"
	wait_exit "$notify_pid"
	check "run without [unlock] volume: READY=1 sent to NOTIFY_SOCKET all the same" \
		[ "$(cat "$tmp/notify.msg" 2>/dev/null)" = "READY=1" ]
	check "run without [unlock] volume: no broker asked, no key offered" \
		[ "$(wc -l <"$tmp/run.log")" -eq "$seen" ] --and [ ! -e "$sock" ]
	kbs_stop

	kbs_stop
	swtpm_stop
fi

tap_end
