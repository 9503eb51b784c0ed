#!/bin/sh
# TAP: binding the opened volume (agent/cli/tool-volume.h) on the host, with real LUKS2 images
# and cryptsetup as the independent witness of their volume keys.
#  - the identity: `mrboot volume-identity` equals HMAC-SHA256(volume key, "cryptsetup:NAME:
#    UUID") computed here by Python's hmac over the key `cryptsetup luksDump --dump-volume-key`
#    prints and the UUID `cryptsetup luksUUID` prints (systemd's fixate-volume-key= value);
#  - the broker's resource {"passphrase","volume-key-id"} for a volume;
#  - `mrboot unlock` against the test broker with that resource:
#      swapped   another LUKS2 volume that the same passphrase opens (luksFormat with it) is
#                on the device: refused with exit 7, both identities named, nothing opened,
#                no key offered to anyone;
#      enrolled  the enrolled volume: opened by mrboot with exactly the volume key it checked
#                (the key cryptsetup received on descriptor 3 equals luksDump's), never in
#                argv; the identity measured into PCR 15 of a swtpm and logged; nothing
#                offered on the hand-off socket; the log replays to the TPM;
#      active    the volume already open before mrboot checked it: closed again, refused;
#      bare      a resource without an identity: refused by default, handed off unbound
#                with [unlock] volume-identity = optional.
# This host has no device-mapper: `cryptsetup open` and `close` go to a stand-in on PATH that
# records them (the key it was given, its arguments) and makes <root>/dev/mapper/NAME;
# luksDump, luksUUID and the rest are the real cryptsetup's. The VM test (tests/vm/boot.sh,
# case swapped) opens real volumes.
# Usage: volume.sh MRBOOT
set -u
. "$(dirname "$0")/../lib/tap.sh"
mrboot=$1
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
kbs_lib_dir=$tests_dir/kbs
. "$kbs_lib_dir/lib-kbs.sh"
. "$tests_dir/lib/swtpm.sh"
py=/usr/bin/python3
tmp=$(mktemp -d)
cleanup() {
	kbs_stop
	swtpm_stop
	rm -rf "$tmp"
}
trap cleanup EXIT

real_cryptsetup=$(command -v cryptsetup 2>/dev/null)
if [ -z "$real_cryptsetup" ]; then
	skip_all "cryptsetup is not installed"
fi
kbs_make_certs "$tmp" || {
	skip_all "$kbs_why"
}
od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$tmp/pass"
pass=$(cat "$tmp/pass")
luks() { # IMAGE: a LUKS2 image that $tmp/pass opens
	truncate -s 20M "$1" &&
		cryptsetup luksFormat --type luks2 --batch-mode --pbkdf pbkdf2 \
			--pbkdf-force-iterations 1000 "$1" "$tmp/pass" >>"$tmp/luks.log" 2>&1
}
if ! luks "$tmp/enrolled.img" || ! luks "$tmp/other.img"; then
	skip_all "cryptsetup cannot format a LUKS2 image here: $(tail -1 "$tmp/luks.log")"
fi

# The witness: the identity from cryptsetup's own output and Python's hmac.
witness_id() { # IMAGE NAME
	$py - "$1" "$2" "$tmp/pass" <<'EOF'
import hashlib, hmac, subprocess, sys
img, name, passfile = sys.argv[1:]
dump = subprocess.run(["cryptsetup", "luksDump", "--dump-volume-key", "--batch-mode",
                       "--key-file", passfile, img], check=True, capture_output=True,
                      text=True).stdout
key = bytes.fromhex("".join(dump.split("MK dump:")[1].split()))
uuid = subprocess.run(["cryptsetup", "luksUUID", img], check=True, capture_output=True,
                      text=True).stdout.strip()
print(hmac.new(key, f"cryptsetup:{name}:{uuid}".encode(), hashlib.sha256).hexdigest())
EOF
}
witness_key() { # IMAGE: its volume key in hex
	cryptsetup luksDump --dump-volume-key --batch-mode --key-file "$tmp/pass" "$1" |
		sed -n '/^MK dump:/,$p' | sed 's/^MK dump://' | tr -d ' \t\n'
}
enrolled_id=$(witness_id "$tmp/enrolled.img" root)
other_id=$(witness_id "$tmp/other.img" root)

# ---- the identity ----------------------------------------------------------------------------
got=$("$mrboot" volume-identity "$tmp/enrolled.img" --name root --key-file "$tmp/pass" 2>"$tmp/err")
check "volume-identity: systemd's volume key id, as cryptsetup's key and Python's hmac make it" \
	[ "$got" = "$enrolled_id" ]
got=$("$mrboot" volume-identity "$tmp/enrolled.img" --name data --key-file - <"$tmp/pass" 2>/dev/null)
check "volume-identity: the name is part of it (data, passphrase on stdin)" \
	[ "$got" = "$(witness_id "$tmp/enrolled.img" data)" ]
check "volume-identity: two volumes the same passphrase opens differ" \
	[ "$enrolled_id" != "$other_id" ]
# The broker's resource for the enrolled volume, made here from the witness's identity.
$py -c 'import base64, json, sys
print(json.dumps({"passphrase": base64.b64encode(open(sys.argv[1], "rb").read()).decode(),
                  "volume-key-id": sys.argv[2]}, separators=(",", ":")))' \
	"$tmp/pass" "$enrolled_id" >"$tmp/enrolled.json"
"$mrboot" volume-identity "$tmp/enrolled.img" --name root --key-file "$tmp/pass" --resource \
	>"$tmp/written.json" 2>/dev/null
check "volume-identity --resource: {passphrase (base64), volume-key-id}, as made here" \
	cmp -s "$tmp/written.json" "$tmp/enrolled.json"
"$mrboot" volume-identity "$tmp/enrolled.img" --name root --key-file /dev/null >/dev/null 2>"$tmp/err"
check "volume-identity: an empty passphrase file is an error (exit 1)" [ $? -eq 1 ]
printf 'wrong' >"$tmp/wrong"
"$mrboot" volume-identity "$tmp/enrolled.img" --name root --key-file "$tmp/wrong" >/dev/null 2>"$tmp/err"
check "volume-identity: a wrong passphrase fails with cryptsetup's reason" \
	sh -c '[ $1 -eq 1 ] && grep -q "luksDump failed" "$2"' _ $? "$tmp/err"

# ---- unlock against the broker -----------------------------------------------------------------
# The stand-in for cryptsetup's device-mapper verbs.
mkdir -p "$tmp/bin"
cat >"$tmp/bin/cryptsetup" <<EOF
#!/bin/sh
echo "\$*" >>"\$VOLUME_TEST_LOG"
case "\$1" in
open)
	for a; do name=\$a; done
	od -An -v -tx1 </dev/fd/3 | tr -d ' \n' >"\$VOLUME_TEST_LOG.key"
	: >"\$VOLUME_TEST_ROOT/dev/mapper/\$name"
	exit 0
	;;
close)
	rm -f "\$VOLUME_TEST_ROOT/dev/mapper/\$2"
	exit 0
	;;
esac
exec "$real_cryptsetup" "\$@"
EOF
chmod 0755 "$tmp/bin/cryptsetup"

mkdir -p "$tmp/swtpm"
if ! swtpm_start "$tmp/swtpm"; then
	bail "$swtpm_why"
fi
# case NAME IMAGE RESOURCE [conf lines...]: a root whose crypttab puts volume root on
# /dev/vdb, a copy of IMAGE; the broker releasing RESOURCE; unlock run with the stand-in.
case_run() {
	name=$1
	image=$2
	resource=$3
	shift 3
	root=$tmp/$name
	kbs_start "$tmp" "$name.kbs" --tee sample --resource "default/mrboot/root=$resource" || {
		bail "$kbs_why"
	}
	mkdir -p "$root/etc/mrboot" "$root/dev/mapper" "$root/proc"
	cp "$image" "$root/dev/vdb"
	cp "$tmp/ca.pem" "$root/etc/mrboot/kbs-ca.pem"
	echo "root /dev/vdb none luks" >"$root/etc/crypttab"
	echo "ro root=/dev/mapper/root" >"$root/proc/cmdline"
	{
		echo "[kbs]"
		echo "url = $kbs_url"
		echo "tee = sample"
		echo "timeout = 20"
		echo "[tpm]"
		echo "socket = $swtpm_sock"
		echo "[unlock]"
		echo "volume = root"
		echo "timeout = 10"
		for line in "$@"; do echo "$line"; done
	} >"$root/etc/mrboot.conf"
	: >"$tmp/$name.cs"
	PATH=$tmp/bin:$PATH VOLUME_TEST_LOG=$tmp/$name.cs VOLUME_TEST_ROOT=$root \
		"$mrboot" --root "$root" unlock --volume root >"$tmp/$name.out" 2>"$tmp/$name.err"
	status=$?
	kbs_stop
}
has() { grep -qF -- "$2" "$tmp/$1"; }
lacks() { ! grep -qF -- "$2" "$tmp/$1"; }

case_run swapped "$tmp/other.img" "$tmp/enrolled.json"
check "swapped: a volume the key opens but not the enrolled one is refused (exit 7)" [ "$status" -eq 7 ]
check "swapped: the message says so, with its identity and the broker's" \
	sh -c 'grep "is not the enrolled volume" "$1" | grep -qF "$2" &&
		grep "is not the enrolled volume" "$1" | grep -qF "$3"' _ "$tmp/swapped.err" \
	"$other_id" "$enrolled_id"
sed -n 's/^/#   /p' "$tmp/swapped.err" | grep -v "^#   mrboot: unlocking" | tail -n 3
check "swapped: cryptsetup read its key (luksDump) and opened nothing" \
	sh -c 'grep -q "^luksDump --dump-volume-key" "$1" && ! grep -q "^open" "$1"' _ "$tmp/swapped.cs"
check "swapped: nothing is open, no key was offered" \
	sh -c '[ -z "$(ls -A "$1/dev/mapper")" ] && [ ! -e "$1/run/cryptsetup-keys.d/root.key" ] &&
		! grep -q "offering" "$2"' _ "$tmp/swapped" "$tmp/swapped.err"
check "swapped: nothing was measured after the release" \
	sh -c '! grep -qs "volume-key-id" "$1/run/log/mrboot/events.jsonseq"' _ "$tmp/swapped"

case_run enrolled "$tmp/enrolled.img" "$tmp/enrolled.json"
check "enrolled: unlocked (exit 0)" [ "$status" -eq 0 ]
check "enrolled: it says the volume is the enrolled one, with its identity" \
	has enrolled.err "is the enrolled volume (volume key id $enrolled_id)"
check "enrolled: cryptsetup opened /dev/vdb as root with the key on descriptor 3" \
	grep -q "^open --type=luks --batch-mode --volume-key-file=/dev/fd/3 $tmp/enrolled/dev/vdb root\$" \
	"$tmp/enrolled.cs"
check "enrolled: that key is the volume key cryptsetup's luksDump shows" \
	[ "$(cat "$tmp/enrolled.cs.key")" = "$(witness_key "$tmp/enrolled.img")" ]
check "enrolled: no key or passphrase in any cryptsetup command line" \
	sh -c '! grep -qiF -e "$2" -e "$3" "$1"' _ "$tmp/enrolled.cs" "$(cat "$tmp/enrolled.cs.key")" "$pass"
check "enrolled: no key was offered on the hand-off socket" \
	sh -c '[ ! -e "$1/run/cryptsetup-keys.d/root.key" ] && grep -q "no key to hand off" "$2"' _ \
	"$tmp/enrolled" "$tmp/enrolled.err"
check "enrolled: the event log has \"mrboot volume\" with name, UUID, identity and device, PCR 15" \
	$py -c 'import json, sys
recs = [json.loads(r) for r in open(sys.argv[1], "rb").read().split(b"\x1e") if r.strip()]
vol = [r for r in recs if r.get("operation") == "volume"]
assert len(vol) == 1, recs
r = vol[0]
assert r["domain"] == "mrboot" and r["pcr"] == 15, r
assert json.loads(r["content"]) == {"name": "root", "uuid": sys.argv[2],
                                    "volume-key-id": sys.argv[3], "device": "/dev/vdb"}, r' \
	"$tmp/enrolled/run/log/mrboot/events.jsonseq" "$(cryptsetup luksUUID "$tmp/enrolled.img")" \
	"$enrolled_id"
"$mrboot" --root "$tmp/enrolled" replay >"$tmp/replay.out" 2>&1
check "enrolled: the log replays to the swtpm's PCRs (mrboot replay)" [ $? -eq 0 ]
check "enrolled: the passphrase is in no output" \
	sh -c '! grep -qF "$1" "$2" "$3"' _ "$pass" "$tmp/enrolled.out" "$tmp/enrolled.err"

mkdir -p "$tmp/active/dev/mapper"
: >"$tmp/active/dev/mapper/root"
case_run active "$tmp/enrolled.img" "$tmp/enrolled.json"
check "active: a volume open before mrboot checked it is refused (exit 7)" [ "$status" -eq 7 ]
check "active: and closed again" \
	sh -c 'grep -q "^close root$" "$1" && [ ! -e "$2/dev/mapper/root" ]' _ "$tmp/active.cs" "$tmp/active"
check "active: saying why" has active.err "did not check it"

case_run bare "$tmp/enrolled.img" "$tmp/pass"
check "bare: a resource without an identity is refused by default (exit 7)" [ "$status" -eq 7 ]
check "bare: saying so and what to do" has bare.err "holds no volume identity"
check "bare: nothing opened, no key offered" \
	sh -c '! grep -q "^open" "$1" && [ ! -e "$2/run/cryptsetup-keys.d/root.key" ]' _ "$tmp/bare.cs" "$tmp/bare"

# volume-identity = optional: the old hand-off (here: none, the keyring neither), warned about.
case_run optional "$tmp/enrolled.img" "$tmp/pass" "volume-identity = optional" "handoff = none"
check "optional: a bare resource is handed off unbound (exit 0), with a warning" \
	sh -c '[ $1 -eq 0 ] && grep -q "handed off unbound" "$2"' _ "$status" "$tmp/optional.err"
check "optional: mrboot opened nothing itself" sh -c '! grep -q "^open" "$1"' _ "$tmp/optional.cs"

tap_end
