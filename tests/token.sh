#!/bin/sh
# TAP: the LUKS2 token plugin (libcryptsetup-token-mrboot.so) and `mrboot enroll`, end to end
# against the test key broker (tests/kbs/broker.py, sample evidence) over TLS on loopback:
#  - enroll: the key fetched once, a key slot added for it with the existing passphrase (read
#    by cryptsetup from a pipe, never from argv or the environment, as a cryptsetup shim on
#    PATH records), and the token imported, bound to that slot; its JSON as cryptsetup
#    exports it, checked by Python; a refused key or a wrong passphrase changes nothing;
#  - the plugin, loaded by libcryptsetup 2.6 from its fixed directory (a bind mount over it
#    in a private mount namespace): `cryptsetup open --test-passphrase --token-only` opens the
#    image with the key from the broker; with the broker down the plugin gives up within the
#    token's timeout and returns -ENOENT (never -ENOANO, the PIN prompt); a broker that
#    refuses fails at once; token JSON that libcryptsetup alone accepts is refused by the
#    plugin's validate, member by member;
#  - its dynamic symbols are exactly libcryptsetup's token ABI at CRYPTSETUP_TOKEN_1.0;
#  - the key is in no log, output or command line.
# Usage: token.sh MRBOOT PLUGIN [PRELOAD]
#   PRELOAD: the sanitizer runtime a sanitized plugin needs in cryptsetup (LD_PRELOAD).
set -u
. "$(dirname "$0")/lib-tap.sh"
mrboot=$1
plugin=$2
preload=${3:-}
tests_dir=$(cd "$(dirname "$0")" && pwd)
kbs_lib_dir=$tests_dir/kbs
. "$kbs_lib_dir/lib-kbs.sh"
py=/usr/bin/python3
tmp=$(mktemp -d)
cleanup() {
	kbs_stop
	rm -rf "$tmp"
}
trap cleanup EXIT

has() { grep -qF -- "$2" "$tmp/$1"; }

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
	echo "1..$n"
	exit $fail
fi
kbs_make_certs "$tmp" || {
	skip "$kbs_why"
	echo "1..$n"
	exit $fail
}

# The image: LUKS2 on a plain file, a passphrase in slot 0 (cheap PBKDF2: a test, not a disk).
printf 'existing passphrase' >"$tmp/passphrase"
truncate -s 20M "$tmp/disk.img"
if ! cryptsetup luksFormat --type luks2 --batch-mode --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
	"$tmp/disk.img" "$tmp/passphrase" >"$tmp/luks.log" 2>&1; then
	skip "cryptsetup cannot format a LUKS2 image here: $(tail -1 "$tmp/luks.log")"
	echo "1..$n"
	exit $fail
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
	echo "Bail out! $kbs_why"
	exit 1
}
good_url=$kbs_url

# enroll IMAGE [OPTIONS...]: mrboot enroll with the shim; $status, output in $tmp/out, $tmp/err.
enroll() {
	img=$1
	shift
	PATH=$shim_path "$mrboot" --root "$tmp/root" enroll "$img" --trust-anchor "$tmp/ca.pem" \
		--tee sample "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	status=$?
}
dump_json() { cryptsetup luksDump --dump-json-metadata "$1"; }
mkdir -p "$tmp/root"

# ---- enroll ----------------------------------------------------------------------------------
enroll "$tmp/disk.img" --kbs "$good_url" --resource default/mrboot/root \
	--unlock-key-file "$tmp/passphrase" --timeout 5 --random-key
check "enroll: exit 0" [ "$status" -eq 0 ]
check "enroll: says which key slot it added" has err "key slot 1 opens with the key from"
check "enroll: the key slot opens with the broker's key (cryptsetup, the key file)" \
	cryptsetup open --test-passphrase --key-slot 1 --key-file "$tmp/disk.key" "$tmp/disk.img"
check "enroll: the existing passphrase still opens slot 0" \
	cryptsetup open --test-passphrase --key-slot 0 --key-file "$tmp/passphrase" "$tmp/disk.img"
dump_json "$tmp/disk.img" >"$tmp/meta.json"
check "enroll: the token as cryptsetup sees it: every member, bound to slot 1" \
	$py - "$tmp/meta.json" "$good_url" "$tmp/ca.pem" <<'EOF'
import json, sys
meta = json.load(open(sys.argv[1]))
tokens = list(meta["tokens"].values())
assert len(tokens) == 1, tokens
t = tokens[0]
want = {"type": "mrboot", "keyslots": ["1"], "mrboot-kbs-url": [sys.argv[2]],
        "mrboot-resource": "default/mrboot/root",
        "mrboot-trust-anchor": open(sys.argv[3]).read(), "mrboot-tee": "sample",
        "mrboot-timeout": 5}
assert t == want, (t, want)
EOF
check "enroll --random-key: the new slot has PBKDF2 at 1000 iterations" \
	$py -c 'import json,sys; k=json.load(open(sys.argv[1]))["keyslots"]["1"]["kdf"]
assert k["type"] == "pbkdf2" and k["iterations"] == 1000, k' "$tmp/meta.json"
check "enroll: the broker saw auth, attest and resource once each" \
	$py -c 'import json,sys
paths = [json.loads(l)["path"] for l in open(sys.argv[1])]
assert paths == ["/kbs/v0/auth", "/kbs/v0/attest", "/kbs/v0/resource/default/mrboot/root"], paths' \
	"$tmp/kbs.log"
check "enroll: luksAddKey read the passphrase from stdin and the key from a descriptor" \
	grep -qE "^argv: luksAddKey --batch-mode --key-file=- --new-keyfile=/dev/fd/3 " "$tmp/cryptsetup-calls.log"
check "enroll: the token went in through token import" \
	grep -qE '^argv: token import --json-file=- ' "$tmp/cryptsetup-calls.log"
check "enroll: neither the key nor the passphrase in any cryptsetup argv or environment" \
	sh -c "! grep -qF -e '$key' -e 'existing passphrase' '$tmp/cryptsetup-calls.log'"
check "enroll: the key is in none of its output" no_key_in "$tmp/out" "$tmp/err"

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
                      "--resource", "default/mrboot/root", "--trust-anchor", tmp + "/ca.pem",
                      "--tee", "sample"])
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
PATH=/nonexistent "$mrboot" --root "$tmp/root" enroll "$tmp/refused.img" --kbs "$good_url" \
	--resource default/mrboot/root --trust-anchor "$tmp/ca.pem" --tee sample \
	--unlock-key-file "$tmp/passphrase" </dev/null >"$tmp/out" 2>"$tmp/err"
check "enroll: without cryptsetup on PATH: exit 1" [ $? -eq 1 ]
check "enroll: saying cryptsetup cannot be run" has err "cryptsetup: cannot execute: No such file"

# ---- the plugin in libcryptsetup's plugin directory ----------------------------------------
# libcryptsetup 2.6 loads plugins only from its compiled-in directory: cryptsetup --help names it.
plugin_dir=$(cryptsetup --help | sed -n 's/^LUKS2 external token plugin path: \(.*\)\.$/\1/p')
[ -n "$plugin_dir" ] || plugin_dir=/lib/$(gcc -dumpmachine 2>/dev/null)/cryptsetup
mkdir -p "$tmp/plugins"
cp "$plugin" "$tmp/plugins/libcryptsetup-token-mrboot.so"
# with_plugin COMMAND...: runs it where the plugin directory holds only our plugin.
with_plugin() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m sh -c 'mount --bind "$1" "$2" && p=$3 && shift 3 &&
		exec env ${p:+LD_PRELOAD="$p"} "$@"' sh "$tmp/plugins" "$plugin_dir" "$preload" "$@"
}
if ! unshare -m sh -c "mount --bind '$tmp/plugins' '$plugin_dir'" 2>"$tmp/unshare.err"; then
	skip "the plugin cases: no private mount namespace with a bind mount here (not root?): \
$(head -c 200 "$tmp/unshare.err")"
	echo "1..$n"
	exit $fail
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
check "plugin: the key came from the broker (auth, attest, resource)" \
	$py -c 'import json,sys
paths = [json.loads(l)["path"] for l in open(sys.argv[1])]
assert paths == ["/kbs/v0/auth", "/kbs/v0/attest", "/kbs/v0/resource/default/mrboot/root"], paths' \
	"$tmp/open-kbs.log"
check "plugin: the key is not in cryptsetup's debug log" no_key_in "$tmp/open.log"
with_plugin cryptsetup luksDump "$tmp/disk.img" >"$tmp/dump.log" 2>&1
check "plugin: luksDump shows the token's brokers through _dump" \
	has dump.log "mrboot-kbs-url:      $good_url"
check "plugin: and the trust anchor as a certificate count, not its text" \
	has dump.log "mrboot-trust-anchor: PEM, 1 certificate"
check "plugin: luksDump shows no secret" no_key_in "$tmp/dump.log"
kbs_stop

# The broker down: the token's 5 s pass in retries, then -ENOENT and no PIN prompt.
open_token "$tmp/disk.img"
check "broker down: no token unlock (cryptsetup fails)" [ "$status" -ne 0 ]
check "broker down: within the token's 5 s timeout, plus startup (${elapsed} ms)" \
	[ "$elapsed" -ge 4500 ] && [ "$elapsed" -lt 9000 ]
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
	echo "Bail out! $kbs_why"
	exit 1
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
check "validate: a trust anchor that is neither PEM nor a path" \
	bad anchor 't["mrboot-trust-anchor"] = "ca.pem"' "neither PEM text nor an absolute path"
check "validate: PEM that is no certificate" \
	bad pem 't["mrboot-trust-anchor"] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"' \
	"member 'mrboot-trust-anchor'"
check "validate: an unknown TEE" bad tee 't["mrboot-tee"] = "sgx"' "member 'mrboot-tee'"
check "validate: a timeout of 0" bad timeout0 't["mrboot-timeout"] = 0' "member 'mrboot-timeout'"
check "validate: a timeout that is a string" \
	bad timeouts 't["mrboot-timeout"] = "5"' "member 'mrboot-timeout'"
check "validate: two key slots" \
	bad slots 't["keyslots"] = ["1", "0"]' "member 'keyslots' must be an array of one key slot"
check "validate: no key slot (an unassigned token, which libcryptsetup allows)" \
	bad noslot 't["keyslots"] = []' "member 'keyslots' must be an array of one key slot"

check "no log of any step holds the key" \
	no_key_in "$tmp/out" "$tmp/err" "$tmp/open.log" "$tmp/import.log" "$tmp/cryptsetup-calls.log"
tap_end
