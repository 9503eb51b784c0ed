#!/bin/sh
# TAP: the LUKS2 token plugin (libcryptsetup-token-mrboot.so) and `mrboot enroll`, end to end
# against the test key broker (tests/kbs/broker.py, sample evidence) over TLS on loopback.
# Brokers, the trust anchor and the TEE come from the configuration ([kbs] url, ca-file, tee),
# never from the token, which the host writes (doc/trust-model.md):
#  - enroll: the key fetched once from the configured broker, a key slot added for it with the
#    existing passphrase (read by cryptsetup from a pipe, never from argv or the environment,
#    as a cryptsetup shim on PATH records), and the token imported, bound to that slot; its
#    JSON as cryptsetup exports it, checked by Python: the resource, and brokers only when
#    --kbs chose some; a broker the configuration does not list, a refused key or a wrong
#    passphrase changes nothing;
#  - the plugin, loaded by libcryptsetup 2.6 from its fixed directory (a bind mount over it
#    in a private mount namespace, where the configuration directory holds the test's
#    mrboot.conf too): `cryptsetup open --test-passphrase --token-only` opens the image with
#    the key from the configured broker, or the one the token chose among the configured; with
#    the broker down the plugin gives up within the token's timeout and returns -ENOENT (never
#    -ENOANO, the PIN prompt); a broker that refuses fails at once; token JSON that
#    libcryptsetup alone accepts is refused by the plugin's validate, member by member;
#  - the host's attacks on the header: a disk of the host's own (its key, its broker) whose
#    token names that broker, or, in the form of an older mrboot, its own trust anchor and TEE,
#    does not open, and the host's broker sees no request: no evidence leaves for it;
#  - its dynamic symbols are exactly libcryptsetup's token ABI at CRYPTSETUP_TOKEN_1.0;
#  - the key is in no log, output or command line.
# Usage: token.sh MRBOOT PLUGIN SYSCONFDIR [PRELOAD]
#   SYSCONFDIR: where the plugin reads mrboot.conf (MRBOOT_SYSCONFDIR, the build's
#   prefix/sysconfdir); enroll reads it under --root, the plugin under a mount of its own.
#   PRELOAD: the sanitizer runtime a sanitized plugin needs in cryptsetup (LD_PRELOAD).
set -u
. "$(dirname "$0")/../lib/tap.sh"
mrboot=$1
plugin=$2
sysconfdir=$3
preload=${4:-}
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
kbs_lib_dir=$tests_dir/kbs
. "$kbs_lib_dir/lib-kbs.sh"
py=/usr/bin/python3
tmp=$(mktemp -d)
rogue_pid=""
cleanup() {
	kbs_stop
	rogue_stop
	rm -rf "$tmp"
}
trap cleanup EXIT

has() { grep -qF -- "$2" "$tmp/$1"; }
# The host's broker (a second test broker) runs beside ours: kbs_stop stops only the last one.
rogue_stop() {
	[ -n "$rogue_pid" ] || return 0
	kill "$rogue_pid" 2>/dev/null
	wait "$rogue_pid" 2>/dev/null
	rogue_pid=""
}

# ---- the exported symbols: libcryptsetup.h's token ABI, without the optional open_pin --------
header=/usr/include/libcryptsetup.h
if [ -f "$header" ]; then
	expected=$(sed -n 's/^#define[[:space:]]*CRYPT_TOKEN_ABI_[A-Z_]*[[:space:]]*"\(cryptsetup_token_[a-z_]*\)".*/\1@@CRYPTSETUP_TOKEN_1.0/p' \
		"$header" | grep -v open_pin | LC_ALL=C sort)
else
	expected=$(printf '%s@@CRYPTSETUP_TOKEN_1.0\n' cryptsetup_token_buffer_free \
		cryptsetup_token_dump cryptsetup_token_open cryptsetup_token_validate \
		cryptsetup_token_version | LC_ALL=C sort)
fi
if command -v nm >/dev/null 2>&1; then
	# The version node itself is an absolute symbol (type A); every other defined symbol counts.
	nm -D --with-symbol-versions --defined-only "$plugin" | awk '$2 != "A" { print $3 }' |
		LC_ALL=C sort >"$tmp/symbols"
	check "the plugin exports exactly the five token functions @CRYPTSETUP_TOKEN_1.0" \
		[ "$(cat "$tmp/symbols")" = "$expected" ]
	check "and the version node CRYPTSETUP_TOKEN_1.0" \
		sh -c "nm -D --with-symbol-versions --defined-only '$plugin' | grep -q ' A CRYPTSETUP_TOKEN_1.0\$'"
else
	skip "nm (binutils) is not installed"
	skip "nm (binutils) is not installed"
fi

if ! command -v cryptsetup >/dev/null 2>&1; then
	skip "cryptsetup is not installed (Debian package cryptsetup-bin)"
	tap_end
fi
kbs_make_certs "$tmp" || {
	skip "$kbs_why"
	tap_end
}

# The image: LUKS2 on a plain file, a passphrase in slot 0 (cheap PBKDF2: a test, not a disk).
printf 'existing passphrase' >"$tmp/passphrase"
truncate -s 20M "$tmp/disk.img"
if ! cryptsetup luksFormat --type luks2 --batch-mode --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
	"$tmp/disk.img" "$tmp/passphrase" >"$tmp/luks.log" 2>&1; then
	skip "cryptsetup cannot format a LUKS2 image here: $(tail -1 "$tmp/luks.log")"
	tap_end
fi
cp "$tmp/disk.img" "$tmp/pristine.img"
# The key the broker holds: 32 random bytes as 64 hex digits, text so that grep finds it.
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$tmp/disk.key"
key=$(cat "$tmp/disk.key")
no_key_in() { ! grep -rqF -- "$key" "$@" 2>/dev/null; }
errno_of() { $py -c 'import errno,sys; print(getattr(errno, sys.argv[1]))' "$1"; }

# A cryptsetup shim first on PATH: records each call's argv and environment, then runs the
# real one with the same descriptors, so that enroll's pipes reach it untouched.
real_cryptsetup=$(command -v cryptsetup)
mkdir -p "$tmp/shim"
cat >"$tmp/shim/cryptsetup" <<EOF
#!/bin/sh
{ echo "argv: \$*"; env | sed 's/^/env: /'; } >>"$tmp/cryptsetup-calls.log"
exec "$real_cryptsetup" "\$@"
EOF
chmod +x "$tmp/shim/cryptsetup"
shim_path=$tmp/shim:$PATH

kbs_start "$tmp" kbs --tee sample --resource "default/mrboot/root=$tmp/disk.key" || {
	bail "$kbs_why"
}
good_url=$kbs_url

# The initrd's configuration: enroll reads it under --root, the plugin where with_plugin
# mounts it over SYSCONFDIR. The anchor is the test CA, the TEE sample.
confdir=$tmp/root$sysconfdir
mkdir -p "$confdir/mrboot"
cp "$tmp/ca.pem" "$confdir/mrboot/kbs-ca.pem"
# configure URL...: [kbs] url for each URL, in order; none for a configuration without brokers.
configure() {
	{
		echo "[kbs]"
		for u in "$@"; do
			echo "url = $u"
		done
		echo "ca-file = $sysconfdir/mrboot/kbs-ca.pem"
		echo "tee = sample"
	} >"$confdir/mrboot.conf"
}
configure "$good_url"

# enroll IMAGE [OPTIONS...]: mrboot enroll with the shim; $status, output in $tmp/out, $tmp/err.
enroll() {
	img=$1
	shift
	PATH=$shim_path "$mrboot" --root "$tmp/root" enroll "$img" "$@" </dev/null >"$tmp/out" \
		2>"$tmp/err"
	status=$?
}
dump_json() { cryptsetup luksDump --dump-json-metadata "$1"; }
# kbs_paths LOG [FROM]: the request paths of a broker's log from line FROM on, one a line.
kbs_paths() {
	[ -f "$1" ] || return 0
	tail -n +"${2:-1}" "$1" | $py -c 'import json,sys
for l in sys.stdin:
    print(json.loads(l)["path"])'
}
# A release, as the broker saw it.
release_paths="/kbs/v0/auth
/kbs/v0/attest
/kbs/v0/resource/default/mrboot/root"

# ---- enroll ----------------------------------------------------------------------------------
enroll "$tmp/disk.img" --resource default/mrboot/root --unlock-key-file "$tmp/passphrase" \
	--timeout 5 --random-key --name root
check "enroll: exit 0" [ "$status" -eq 0 ]
check "enroll: says which key slot it added, from the configured brokers" \
	has err "key slot 1 opens with the key from the configured brokers"
check "enroll: the key slot opens with the broker's key (cryptsetup, the key file)" \
	cryptsetup open --test-passphrase --key-slot 1 --key-file "$tmp/disk.key" "$tmp/disk.img"
check "enroll: the existing passphrase still opens slot 0" \
	cryptsetup open --test-passphrase --key-slot 0 --key-file "$tmp/passphrase" "$tmp/disk.img"
dump_json "$tmp/disk.img" >"$tmp/meta.json"
# No broker, anchor or TEE in the header: those are the configuration's.
check "enroll: the token as cryptsetup sees it: the resource and timeout, bound to slot 1" \
	$py - "$tmp/meta.json" <<'EOF'
import json, sys
meta = json.load(open(sys.argv[1]))
tokens = list(meta["tokens"].values())
assert len(tokens) == 1, tokens
t = tokens[0]
want = {"type": "mrboot", "keyslots": ["1"], "mrboot-resource": "default/mrboot/root",
        "mrboot-timeout": 5}
assert t == want, (t, want)
EOF
check "enroll --random-key: the new slot has PBKDF2 at 1000 iterations" \
	$py -c 'import json,sys; k=json.load(open(sys.argv[1]))["keyslots"]["1"]["kdf"]
assert k["type"] == "pbkdf2" and k["iterations"] == 1000, k' "$tmp/meta.json"
check "enroll: the configured broker saw auth, attest and resource once each" \
	[ "$(kbs_paths "$tmp/kbs.log")" = "$release_paths" ]
check "enroll: luksAddKey read the passphrase from stdin and the key from a descriptor" \
	grep -qE "^argv: luksAddKey --batch-mode --key-file=- --new-keyfile=/dev/fd/3 " "$tmp/cryptsetup-calls.log"
check "enroll: the token went in through token import" \
	grep -qE '^argv: token import --json-file=- ' "$tmp/cryptsetup-calls.log"
check "enroll: neither the key nor the passphrase in any cryptsetup argv or environment" \
	sh -c "! grep -qF -e '$key' -e 'existing passphrase' '$tmp/cryptsetup-calls.log'"
check "enroll: the key is in none of its output" no_key_in "$tmp/out" "$tmp/err"
check "enroll --name: prints the volume's identity, as cryptsetup's key and Python's hmac make it" \
	$py - "$tmp/disk.img" "$tmp/disk.key" "$tmp/out" <<'EOF'
import hashlib, hmac, subprocess, sys
img, keyfile, out = sys.argv[1:]
dump = subprocess.run(["cryptsetup", "luksDump", "--dump-volume-key", "--batch-mode",
                       "--key-file", keyfile, img], check=True, capture_output=True, text=True).stdout
vk = bytes.fromhex("".join(dump.split("MK dump:")[1].split()))
uuid = subprocess.run(["cryptsetup", "luksUUID", img], check=True, capture_output=True,
                      text=True).stdout.strip()
want = hmac.new(vk, f"cryptsetup:root:{uuid}".encode(), hashlib.sha256).hexdigest()
assert open(out).read() == want + "\n", (open(out).read(), want)
EOF

# The existing passphrase typed on a terminal: cryptsetup asks for it itself, on a pty here.
cp "$tmp/pristine.img" "$tmp/typed.img"
check "enroll: the existing passphrase typed at cryptsetup's prompt on a terminal" \
	$py - "$mrboot" "$tmp" "$good_url" "$shim_path" <<'EOF'
import os, pty, select, sys, termios, time
mrboot, tmp, url, path = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.environ["PATH"] = path
    os.execv(mrboot, [mrboot, "--root", tmp + "/root", "enroll", tmp + "/typed.img", "--kbs", url,
                      "--resource", "default/mrboot/root"])
out, typed, end = b"", False, time.time() + 60
while time.time() < end:
    if select.select([fd], [], [], 0.1)[0]:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    # Typed once cryptsetup has turned the echo off: it flushes what came before (TCSAFLUSH).
    if not typed and b"Enter any existing passphrase" in out and \
            not termios.tcgetattr(fd)[3] & termios.ECHO:
        os.write(fd, open(tmp + "/passphrase", "rb").read() + b"\n")
        typed = True
done, status = os.waitpid(pid, os.WNOHANG)
if not done:
    os.kill(pid, 9)
    status = os.waitpid(pid, 0)[1]
assert typed and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, (status, out)
# Typed without echo: the passphrase never shows on the terminal.
assert b"existing passphrase" not in out.replace(b"Enter any existing passphrase", b""), out
EOF
check "enroll: and the key slot it added opens with the broker's key" \
	cryptsetup open --test-passphrase --key-slot 1 --key-file "$tmp/disk.key" "$tmp/typed.img"
# Issue 13, part 8: the same 64-byte key without --random-key. Its length says nothing of its
# entropy: the slot keeps cryptsetup's default, memory-hard KDF.
check "enroll without --random-key: a 64-byte key's slot has argon2id, not PBKDF2" \
	$py -c 'import json,subprocess,sys
k = json.loads(subprocess.run(["cryptsetup", "luksDump", "--dump-json-metadata", sys.argv[1]],
                              capture_output=True, check=True).stdout)["keyslots"]["1"]["kdf"]
assert k["type"] == "argon2id", k' "$tmp/typed.img"

# --kbs: a choice among the configured brokers, written into the token.
cp "$tmp/pristine.img" "$tmp/sel.img"
enroll "$tmp/sel.img" --kbs "$good_url" --resource default/mrboot/root \
	--unlock-key-file "$tmp/passphrase"
check "enroll --kbs: a configured broker: exit 0" [ "$status" -eq 0 ]
check "enroll --kbs: says which broker" has err "key slot 1 opens with the key from $good_url"
dump_json "$tmp/sel.img" >"$tmp/sel.json"
check "enroll --kbs: the token names that broker, and no anchor or TEE" \
	$py - "$tmp/sel.json" "$good_url" <<'EOF'
import json, sys
t = list(json.load(open(sys.argv[1]))["tokens"].values())
want = [{"type": "mrboot", "keyslots": ["1"], "mrboot-kbs-url": [sys.argv[2]],
         "mrboot-resource": "default/mrboot/root"}]
assert t == want, (t, want)
EOF

# Nothing changes when the key is not released or the passphrase is wrong.
cp "$tmp/pristine.img" "$tmp/refused.img"
enroll "$tmp/refused.img" --kbs "$good_url" --resource default/mrboot/other \
	--unlock-key-file "$tmp/passphrase"
check "enroll: a resource the broker does not have: exit 5" [ "$status" -eq 5 ]
check "enroll: saying the broker's reason" has err "resource not found: default/mrboot/other"
check "enroll: and the header is untouched" cmp -s "$tmp/refused.img" "$tmp/pristine.img"
printf 'wrong' >"$tmp/wrong"
enroll "$tmp/refused.img" --kbs "$good_url" --resource default/mrboot/root \
	--unlock-key-file "$tmp/wrong"
check "enroll: a wrong existing passphrase: exit 1" [ "$status" -eq 1 ]
check "enroll: cryptsetup's reason shown" has err "No key available with this passphrase"
dump_json "$tmp/refused.img" >"$tmp/refused.json"
check "enroll: no key slot and no token added" \
	$py -c 'import json,sys; m=json.load(open(sys.argv[1]))
assert list(m["keyslots"]) == ["0"] and m["tokens"] == {}, m' "$tmp/refused.json"
enroll "$tmp/refused.img" --kbs "http://127.0.0.1:1" --resource default/mrboot/root \
	--unlock-key-file "$tmp/passphrase"
check "enroll: a plain-HTTP broker is refused before anything (exit 1)" [ "$status" -eq 1 ]
check "enroll: saying https is needed" has err "is not https"
# A broker the configuration does not list: enroll would write a token the plugin refuses.
seen=$(wc -l <"$tmp/kbs.log")
enroll "$tmp/refused.img" --kbs "https://127.0.0.1:${good_url##*:}" \
	--resource default/mrboot/root --unlock-key-file "$tmp/passphrase"
check "enroll --kbs: a broker the configuration does not list: exit 3" [ "$status" -eq 3 ]
check "enroll --kbs: naming it" \
	has err "the token names broker https://127.0.0.1:${good_url##*:}, which the configuration does not list"
check "enroll --kbs: not asked, though it is our broker by another name" \
	[ "$(wc -l <"$tmp/kbs.log")" -eq "$seen" ]
check "enroll --kbs: and the header is untouched" cmp -s "$tmp/refused.img" "$tmp/pristine.img"
configure
enroll "$tmp/refused.img" --resource default/mrboot/root --unlock-key-file "$tmp/passphrase"
check "enroll: a configuration without [kbs] url: exit 3" [ "$status" -eq 3 ]
check "enroll: saying the configuration names no broker" \
	has err "the configuration names no broker ([kbs] url)"
check "enroll: and the header is untouched (no broker)" \
	cmp -s "$tmp/refused.img" "$tmp/pristine.img"
configure "$good_url"
enroll "$tmp/refused.img" --resource default/mrboot/root --trust-anchor "$tmp/ca.pem" \
	--unlock-key-file "$tmp/passphrase"
check "enroll: --trust-anchor is no option any more (exit 2)" [ "$status" -eq 2 ]
enroll "$tmp/refused.img" --resource default/mrboot/root --tee sample \
	--unlock-key-file "$tmp/passphrase"
check "enroll: nor --tee (exit 2)" [ "$status" -eq 2 ]
check "enroll: and the header is untouched (options)" \
	cmp -s "$tmp/refused.img" "$tmp/pristine.img"
PATH=/nonexistent "$mrboot" --root "$tmp/root" enroll "$tmp/refused.img" --kbs "$good_url" \
	--resource default/mrboot/root \
	--unlock-key-file "$tmp/passphrase" </dev/null >"$tmp/out" 2>"$tmp/err"
check "enroll: without cryptsetup on PATH: exit 1" [ $? -eq 1 ]
check "enroll: saying cryptsetup cannot be run" has err "cryptsetup: cannot execute: No such file"

# ---- the plugin in libcryptsetup's plugin directory ----------------------------------------
# libcryptsetup 2.6 loads plugins only from its compiled-in directory: cryptsetup --help names it.
plugin_dir=$(cryptsetup --help | sed -n 's/^LUKS2 external token plugin path: \(.*\)\.$/\1/p')
[ -n "$plugin_dir" ] || plugin_dir=/lib/$(gcc -dumpmachine 2>/dev/null)/cryptsetup
mkdir -p "$tmp/plugins"
cp "$plugin" "$tmp/plugins/libcryptsetup-token-mrboot.so"
# with_plugin COMMAND...: runs it where the plugin directory holds only our plugin and
# SYSCONFDIR holds the test's configuration: a tmpfs over it, with the real entries reached
# through links to a bind mount of the real directory (submounts too), and mrboot.conf and
# mrboot/ copied in from $confdir. Nothing outside the private mount namespace changes.
mkdir -p "$tmp/sysconf-real"
with_plugin() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m sh -c 'set -e
		mount --bind "$1" "$2"
		mount --rbind "$3" "$4"
		mount -t tmpfs -o mode=0755 mrboot-test-conf "$3"
		find "$4" -mindepth 1 -maxdepth 1 ! -type l -exec ln -s -t "$3" {} +
		find "$4" -mindepth 1 -maxdepth 1 -type l -exec cp -P -t "$3" {} +
		rm -rf "$3/mrboot.conf" "$3/mrboot"
		cp -R "$5/." "$3/"
		p=$6
		shift 6
		set +e
		exec env ${p:+LD_PRELOAD="$p"} "$@"' sh "$tmp/plugins" "$plugin_dir" "$sysconfdir" \
		"$tmp/sysconf-real" "$confdir" "$preload" "$@"
}
if [ ! -d "$sysconfdir" ]; then
	skip "the plugin cases: the plugin's configuration directory $sysconfdir does not exist here"
	tap_end
fi
if ! with_plugin sh -c "cmp -s '$sysconfdir/mrboot.conf' '$confdir/mrboot.conf'" \
	2>"$tmp/unshare.err"; then
	skip "the plugin cases: no private mount namespace with a bind mount here (not root?): \
$(head -c 200 "$tmp/unshare.err")"
	tap_end
fi

# open_token IMAGE: the token-only test open, debug log in $tmp/open.log; $status, $elapsed (ms).
open_token() {
	start=$(date +%s%N)
	with_plugin cryptsetup open --debug --test-passphrase --token-only --token-type mrboot \
		"$1" </dev/null >"$tmp/open.log" 2>&1
	status=$?
	elapsed=$((($(date +%s%N) - start) / 1000000))
}

# The broker keeps its log open: only the lines from here on are this open's.
seen=$(wc -l <"$tmp/kbs.log")
open_token "$tmp/disk.img"
tail -n +$((seen + 1)) "$tmp/kbs.log" >"$tmp/open-kbs.log"
check "plugin: libcryptsetup loads it by its versioned symbols" \
	has open.log "Token handler mrboot-"
check "plugin: cryptsetup open --token-only opens the image (exit 0)" [ "$status" -eq 0 ]
check "plugin: through key slot 1" has open.log "Key slot 1 unlocked."
check "plugin: the key came from the configured broker (auth, attest, resource)" \
	[ "$(kbs_paths "$tmp/open-kbs.log")" = "$release_paths" ]
check "plugin: the key is not in cryptsetup's debug log" no_key_in "$tmp/open.log"
with_plugin cryptsetup luksDump "$tmp/disk.img" >"$tmp/dump.log" 2>&1
check "plugin: luksDump shows, through _dump, that the brokers are the configuration's" \
	has dump.log "mrboot-kbs-url:      the brokers of /etc/mrboot.conf"
check "plugin: and the resource and timeout" \
	sh -c "grep -qF 'mrboot-resource:     default/mrboot/root' '$tmp/dump.log' &&
		grep -qF 'mrboot-timeout:      5 s' '$tmp/dump.log'"
check "plugin: and no trust anchor or TEE of the token's" \
	sh -c "! grep -q -e mrboot-trust-anchor -e mrboot-tee '$tmp/dump.log'"
check "plugin: luksDump shows no secret" no_key_in "$tmp/dump.log"
with_plugin cryptsetup luksDump "$tmp/sel.img" >"$tmp/dump-sel.log" 2>&1
check "plugin: luksDump of a token with a choice shows the broker chosen" \
	sh -c "grep -qF 'mrboot-kbs-url:      $good_url' '$tmp/dump-sel.log' &&
		! grep -qF 'the brokers of' '$tmp/dump-sel.log'"

# ---- the host's attacks on the header -------------------------------------------------------
# The host's own broker, trusted by our CA like ours (the worst case: a certificate the
# configuration's anchor accepts), holding the key of a disk the host made: if the plugin asked
# it, that disk would open. Its log must stay empty: no evidence goes there at all.
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$tmp/host.key"
our_pid=$kbs_pid
kbs_pid=""
kbs_start "$tmp" rogue --tee sample --resource "default/mrboot/root=$tmp/host.key" || {
	kbs_pid=$our_pid
	bail "$kbs_why"
}
rogue_pid=$kbs_pid
rogue_url=$kbs_url
kbs_pid=$our_pid
# The host's disk: its key in slot 1, and a token of its writing (host_disk NAME PYTHON-EDIT,
# an edit of our enrolled token), imported as the host would: libcryptsetup without plugins.
cryptsetup token export --token-id 0 "$tmp/disk.img" >"$tmp/enrolled-token.json"
host_disk() {
	$py -c 'import json,sys
t = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(t, open(sys.argv[3], "w"))' "$tmp/enrolled-token.json" "$2" "$tmp/$1.json" &&
		cp "$tmp/pristine.img" "$tmp/$1.img" &&
		cryptsetup luksAddKey --batch-mode --key-file "$tmp/passphrase" \
			--new-key-slot 1 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
			"$tmp/$1.img" "$tmp/host.key" &&
		cryptsetup --disable-external-tokens token import --json-file "$tmp/$1.json" \
			"$tmp/$1.img"
}
# host_open NAME: the plugin on the host's disk NAME; $rogue_new and $our_new: the requests
# each broker saw meanwhile, one path a line; the debug log kept in $tmp/open-NAME.log.
host_open() {
	rogue_seen=$(wc -l <"$tmp/rogue.log")
	our_seen=$(wc -l <"$tmp/kbs.log")
	open_token "$tmp/$1.img"
	cp "$tmp/open.log" "$tmp/open-$1.log"
	rogue_new=$(kbs_paths "$tmp/rogue.log" $((rogue_seen + 1)))
	our_new=$(kbs_paths "$tmp/kbs.log" $((our_seen + 1)))
}
enoent="Token 0 (mrboot) open failed with -$(errno_of ENOENT)."
none_asked() { [ -z "$rogue_new" ] && [ -z "$our_new" ]; }
only_ours_asked() { [ "$our_new" = "$release_paths" ] && [ -z "$rogue_new" ]; }
only_rogue_asked() { [ "$rogue_new" = "$release_paths" ] && [ -z "$our_new" ]; }
refused_enoent() { [ "$status" -ne 0 ] && has open.log "$enoent"; }
# A token the parser refuses: libcryptsetup 2.6 asks _validate before _open and takes a
# refusal as -ENOENT ("validation failed", the token unusable); were _open asked, it returns
# -ENOENT itself. Either way no usable token, and the passphrase next.
refused_unusable() {
	[ "$status" -ne 0 ] && has open.log "No usable token" &&
		{ has open.log "Token 0 (mrboot) validation failed." || has open.log "$enoent"; }
}
# says_plainly NAME TEXT: TEXT in what cryptsetup prints without --debug (error level).
says_plainly() {
	with_plugin cryptsetup open --test-passphrase --token-only --token-type mrboot \
		"$tmp/$1.img" </dev/null >"$tmp/plain.log" 2>&1
	has plain.log "$2"
}

# (a) The token names the host's broker: a URL the configuration does not list.
check "host's broker: the host can write such a header (libcryptsetup takes it)" \
	host_disk hostkbs 't["mrboot-kbs-url"] = ["'"$rogue_url"'"]'
check "host's broker: the control: its key slot opens with the host's key" \
	cryptsetup open --test-passphrase --key-slot 1 --key-file "$tmp/host.key" "$tmp/hostkbs.img"
# The control that makes the attack's checks able to fail: were the host's broker one the
# configuration lists, the plugin would ask it and the host's disk would open.
configure "$rogue_url"
host_open hostkbs
check "host's broker: the control: configured, it is asked (auth, attest, resource)" \
	only_rogue_asked
check "host's broker: the control: and the host's disk opens" [ "$status" -eq 0 ]
configure "$good_url"
host_open hostkbs
check "host's broker: not configured: the host's disk does not open" [ "$status" -ne 0 ]
check "host's broker: the plugin returned -ENOENT (next token, then the passphrase)" \
	has open.log "$enoent"
check "host's broker: saying the configuration does not list it" \
	has open.log "the token names broker $rogue_url, which the configuration does not list"
check "host's broker: it saw no request: no evidence went to it" [ -z "$rogue_new" ]
check "host's broker: and no other broker was asked for the host's disk" [ -z "$our_new" ]
check "host's broker: said without --debug too" \
	says_plainly hostkbs "which the configuration does not list"
check "host's broker: never a PIN prompt" \
	sh -c "! grep -q -e PIN -e 'failed with -$(errno_of ENOANO)\.' '$tmp/open.log'"
host_disk hostmix 't["mrboot-kbs-url"] = ["'"$good_url"'", "'"$rogue_url"'"]'
host_open hostmix
check "host's broker after a configured one: the choice refused whole (-ENOENT)" \
	refused_enoent
check "host's broker after a configured one: neither broker asked" none_asked

# (b) A token in the form of an older mrboot, which the plugin used to take whole from the
# header: the host's broker, a trust anchor that vouches for it, and the TEE to send evidence
# of. Against the plugin before the trust boundary, this disk opened from the host's broker.
check "old token: the host can write one (libcryptsetup takes it)" \
	host_disk hostold 't["mrboot-kbs-url"] = ["'"$rogue_url"'"]
t["mrboot-trust-anchor"] = open("'"$tmp/ca.pem"'").read()
t["mrboot-tee"] = "sample"'
host_open hostold
check "old token with the host's anchor, TEE and broker: does not open" [ "$status" -ne 0 ]
check "old token with the host's anchor, TEE and broker: unusable (-ENOENT), refused by _validate" \
	refused_unusable
check "old token with the host's anchor, TEE and broker: the message says to re-enroll" \
	has open.log "member 'mrboot-trust-anchor': this token names its own trust anchor, which the host could have written; mrboot now takes brokers, trust anchors and the TEE from the initrd's configuration only: enroll the volume again with mrboot enroll"
check "old token with the host's anchor, TEE and broker: its broker saw no request" \
	[ -z "$rogue_new" ]
check "old token with the host's anchor, TEE and broker: nor did ours" [ -z "$our_new" ]
check "old token: the message at error level, not only in --debug" \
	says_plainly hostold "enroll the volume again with mrboot enroll"
host_disk hostoldtee 't["mrboot-tee"] = "sample"'
host_open hostoldtee
check "old token naming only its TEE (our brokers): does not open, unusable (-ENOENT)" \
	refused_unusable
check "old token naming only its TEE: the message names the TEE and says to re-enroll" \
	has open.log "member 'mrboot-tee': this token names its own TEE, which the host could have written; mrboot now takes brokers, trust anchors and the TEE from the initrd's configuration only: enroll the volume again with mrboot enroll"
check "old token naming only its TEE: no broker asked, no evidence of a TEE the host chose" \
	none_asked

# (c) Our own disks still open, from the configured broker, or the one their token chose.
host_open disk
check "after the attacks: our disk opens (exit 0)" [ "$status" -eq 0 ]
check "after the attacks: with the key from the configured broker" only_ours_asked
# Two configured brokers, the host's first: the token's choice of ours is what is asked.
configure "$rogue_url" "$good_url"
host_open sel
check "a token's choice among the configured brokers: opens (exit 0)" [ "$status" -eq 0 ]
check "a token's choice among the configured brokers: only the chosen one asked" \
	only_ours_asked
# The control: without a choice the first configured broker is asked (here its key is wrong).
host_open disk
check "the control: without a choice, the first configured broker is asked" \
	only_rogue_asked
check "the control: whose key does not open our disk" [ "$status" -ne 0 ]
configure "$good_url"
rogue_stop
kbs_stop

# The broker down: the token's 5 s pass in retries, then -ENOENT and no PIN prompt.
open_token "$tmp/disk.img"
check "broker down: no token unlock (cryptsetup fails)" [ "$status" -ne 0 ]
within() { [ "$elapsed" -ge "$1" ] && [ "$elapsed" -lt "$2" ]; }
check "broker down: within the token's 5 s timeout, plus startup (${elapsed} ms)" \
	within 4500 9000
check "broker down: the plugin returned -ENOENT (-2), which passes to the next token" \
	has open.log "Token 0 (mrboot) open failed with -$(errno_of ENOENT)."
check "broker down: cryptsetup says no token was usable" has open.log "No usable token"
check "broker down: never a PIN prompt (-ENOANO is -$(errno_of ENOANO))" \
	sh -c "! grep -q -e PIN -e 'failed with -$(errno_of ENOANO)\.' '$tmp/open.log'"
check "broker down: the failure named, with the broker's URL" \
	has open.log "mrboot token 0: no key: no key before the deadline"

# A broker that refuses: no retries until the deadline.
kbs_start "$tmp" deny --port "${good_url##*:}" --tee sample \
	--resource "default/mrboot/root=$tmp/disk.key" --fault 401:auth:0 || {
	bail "$kbs_why"
}
open_token "$tmp/disk.img"
check "refused (401): no token unlock, -ENOENT" has open.log "Token 0 (mrboot) open failed with -$(errno_of ENOENT)."
check "refused (401): at once, not at the deadline (${elapsed} ms)" [ "$elapsed" -lt 3000 ]
check "refused (401): cryptsetup failed" [ "$status" -ne 0 ]
kbs_stop

# ---- _validate: JSON that libcryptsetup alone imports, refused by the plugin ----------------
# bad NAME PYTHON-EDIT EXPECTED-MESSAGE: the good token with one edit.
cryptsetup token export --token-id 0 "$tmp/disk.img" >"$tmp/good-token.json"
bad() {
	$py -c 'import json,sys
t = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(t, open(sys.argv[3], "w"))' "$tmp/good-token.json" "$2" "$tmp/$1.json"
	cp "$tmp/pristine.img" "$tmp/v.img"
	# The token's key slot must exist for libcryptsetup's own checks: slot 1, as enrolled.
	printf '%s' "$key" | cryptsetup luksAddKey --batch-mode --key-file "$tmp/passphrase" \
		--new-keyfile=- --new-key-slot 1 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		"$tmp/v.img" || return 1
	with_plugin cryptsetup token import --json-file "$tmp/$1.json" "$tmp/v.img" \
		>"$tmp/import.log" 2>&1 && return 1
	grep -qF -- "$3" "$tmp/import.log" || return 1
	# The control: without the plugin (no plugin directory at all) libcryptsetup takes it.
	cryptsetup --disable-external-tokens token import --json-file "$tmp/$1.json" "$tmp/v.img" \
		>/dev/null 2>&1
}
check "validate: an unknown member" \
	bad unknown 't["mrboot-extra"] = 1' "unknown member 'mrboot-extra'"
check "validate: a plain-HTTP broker" \
	bad http 't["mrboot-kbs-url"] = ["http://localhost:1"]' "is not https"
check "validate: no broker" bad nourl 't["mrboot-kbs-url"] = []' "member 'mrboot-kbs-url'"
check "validate: a URL that is not one" \
	bad badurl 't["mrboot-kbs-url"] = ["https://exa mple"]' "member 'mrboot-kbs-url'"
check "validate: the resource missing" \
	bad nores 'del t["mrboot-resource"]' "member 'mrboot-resource' is missing"
check "validate: a resource that leaves the namespace" \
	bad dotdot 't["mrboot-resource"] = "default/../root"' "member 'mrboot-resource'"
check "validate: an old token's own trust anchor, with the message to re-enroll" \
	bad oldanchor 't["mrboot-trust-anchor"] = "/etc/mrboot/kbs-ca.pem"' \
	"member 'mrboot-trust-anchor': this token names its own trust anchor, which the host could have written; mrboot now takes brokers, trust anchors and the TEE from the initrd's configuration only: enroll the volume again with mrboot enroll"
check "validate: an old token's embedded PEM anchor" \
	bad oldpem "t[\"mrboot-trust-anchor\"] = open(\"$tmp/ca.pem\").read()" \
	"enroll the volume again with mrboot enroll"
check "validate: an old token's own TEE, with the message to re-enroll" \
	bad oldtee 't["mrboot-tee"] = "sample"' \
	"member 'mrboot-tee': this token names its own TEE, which the host could have written; mrboot now takes brokers, trust anchors and the TEE from the initrd's configuration only: enroll the volume again with mrboot enroll"
check "validate: a timeout of 0" bad timeout0 't["mrboot-timeout"] = 0' "member 'mrboot-timeout'"
check "validate: a timeout that is a string" \
	bad timeouts 't["mrboot-timeout"] = "5"' "member 'mrboot-timeout'"
check "validate: two key slots" \
	bad slots 't["keyslots"] = ["1", "0"]' "member 'keyslots' must be an array of one key slot"
check "validate: no key slot (an unassigned token, which libcryptsetup allows)" \
	bad noslot 't["keyslots"] = []' "member 'keyslots' must be an array of one key slot"

check "no log of any step holds the key" \
	no_key_in "$tmp/out" "$tmp/err" "$tmp"/open*.log "$tmp/plain.log" "$tmp/import.log" \
	"$tmp/cryptsetup-calls.log"
tap_end
