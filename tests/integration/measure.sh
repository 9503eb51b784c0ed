#!/bin/sh
# TAP: mrboot measure / extend / replay against a real TPM (swtpm) and the TDX / CCA fixture
# trees. Every expected register value is computed here, by Python, from the log's contents
# alone (the event text, never the digests the agent wrote), or read back by tpm2-tools.
# Usage: measure.sh MRBOOT FIXTURES_DIR
set -u
mrboot=$1
fixtures=$2
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
. "$tests_dir/lib/tap.sh"
. "$tests_dir/lib/swtpm.sh"
trap 'swtpm_stop; rm -rf "$tmp"' EXIT

tap_diagnose() { [ -f "$tmp/err" ] && sed 's/^/# /' "$tmp/err"; }
run() { # ROOT ARGS...: mrboot into $tmp/out, $tmp/err, $status
	r=$1
	shift
	"$mrboot" --root "$r" "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
}
has() { grep -q -e "$2" "$tmp/$1"; }

# expect.py LOG FAMILY ALG INDEX: the register value the log's committed events make, from 0.
cat >"$tmp/expect.py" <<'PY'
import hashlib, json, struct, sys
log, family, alg, index = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
recs, state = [], {}
for chunk in open(log, "rb").read().split(b"\x1e")[1:]:
    assert chunk.endswith(b"\n"), "record without LF"
    r = json.loads(chunk)
    if r["state"] == "pending":
        recs.append(r)
    else:
        state[r["seq"]] = r["state"]
size = hashlib.new(alg).digest_size
value = bytes(size)
for r in recs:
    if state.get(r["seq"]) != "committed" or r["index"] != index:
        continue
    if family == "tpm":
        text = r["content"] if r["style"] == "string" else \
            f'{r["domain"]} {r["operation"]} {r["content"]}'
        digest = hashlib.new(alg, text.encode()).digest()
    else:
        text = f'{r["domain"]} {r["operation"]} {r["content"]}'.encode()
        digest = hashlib.new(alg, struct.pack("<II", 0x4141454C, len(text)) + text).digest()
    value = hashlib.new(alg, value + digest).digest()
print(value.hex())
PY
expect() { python3 "$tmp/expect.py" "$@"; }
pcrread() { # ALG PCR: the PCR as tpm2-tools reads it, lowercase hex
	TPM2TOOLS_TCTI=$swtpm_tcti tpm2_pcrread "$1:$2" 2>/dev/null |
		sed -n 's/^ *[0-9]*: 0x//p' | tr 'A-F' 'a-f'
}

# ---- a TPM (swtpm) --------------------------------------------------------------------
root=$tmp/tpm-root
mkdir -p "$root/etc" "$root/proc" "$tmp/tpm"
if ! swtpm_start "$tmp/tpm"; then
	skip "swtpm: $swtpm_why"
else
	printf '[tpm]\nsocket = %s\n' "$swtpm_sock" >"$root/etc/mrboot.conf"
	echo "BOOT_IMAGE=/vmlinuz root=/dev/sda2 ro roothash=$(printf '5a%.0s' $(seq 32))" >"$root/proc/cmdline"
	log=$root/run/log/mrboot/events.jsonseq
	run "$root" measure
	check "tpm: measure exits 0" [ "$status" -eq 0 ]
	check "tpm: it says it measured 4 events" has err "measured 4 events into the tpm registers"
	for alg in sha256 sha384 sha1; do
		for pcr in 12 15; do # 12: nothing (the defaults are all 15)
			want=$(expect "$log" tpm "$alg" "$pcr")
			got=$(pcrread "$alg" "$pcr")
			check "tpm: PCR $pcr $alg read by tpm2_pcrread is what the log's events make" [ "$got" = "$want" ]
		done
	done
	# systemd's log, read as systemd documents it: RS + JSON + LF, the digest of the string.
	if python3 - "$root/run/log/systemd/tpm2-measure.log" >"$tmp/err" 2>&1 <<'PY'
import hashlib, json, sys
data = open(sys.argv[1], "rb").read()
assert data.startswith(b"\x1e") and data.endswith(b"\n")
recs = [json.loads(c) for c in data.split(b"\x1e")[1:]]
assert len(recs) == 4, len(recs)
for r in recs:
    assert r["content_type"] == "systemd" and r["content"]["eventType"] == "mrboot"
    for d in r["digests"]:
        want = hashlib.new(d["hashAlg"], r["content"]["string"].encode()).hexdigest()
        assert d["digest"] == want, (r, d)
assert [r["pcr"] for r in recs] == [15, 15, 15, 15]
assert recs[0]["content"]["string"].startswith('mrboot kernel-cmdline {"cmdline":"BOOT_IMAGE=')
PY
	then ok "tpm: systemd's tpm2-measure.log has every event, each digest the hash of its string"
	else not_ok "tpm: systemd's tpm2-measure.log has every event, each digest the hash of its string"; fi
	run "$root" replay
	check "tpm: replay exits 0" [ "$status" -eq 0 ]
	check "tpm: replay says PCR 15 matches" has out "^pcr15 *matches"
	before=$(pcrread sha256 15)
	run "$root" measure
	check "tpm: a second measure in the same boot is refused (exit 1)" [ "$status" -eq 1 ]
	check "tpm: and extends nothing" [ "$(pcrread sha256 15)" = "$before" ]

	# Two writers at once: the lock serialises them, nothing is lost.
	"$mrboot" --root "$root" extend --pcr 16 --string first --event-type phase 2>"$tmp/e1" &
	p1=$!
	"$mrboot" --root "$root" extend --pcr 16 --domain example.org --operation second --content '{"n":2}' 2>"$tmp/e2" &
	p2=$!
	wait $p1; s1=$?
	wait $p2; s2=$?
	check "tpm: two concurrent extends both succeed" [ "$s1" -eq 0 ] && [ "$s2" -eq 0 ]
	check "tpm: PCR 16 holds both, as the log orders them" [ "$(pcrread sha256 16)" = "$(expect "$log" tpm sha256 16)" ]
	run "$root" replay
	check "tpm: replay still matches" [ "$status" -eq 0 ]
	TPM2TOOLS_TCTI=$swtpm_tcti tpm2_pcrextend "16:sha256=$(printf '00%.0s' $(seq 32))" >/dev/null 2>&1
	run "$root" replay
	check "tpm: after an extend no log knows, replay exits 4" [ "$status" -eq 4 ]
	check "tpm: naming the register" has err "pcr16: DIFFERS"

	# Bad input is refused before anything is extended.
	before=$(pcrread sha256 12)
	cp "$root/etc/mrboot.conf" "$tmp/conf"
	printf '[measure]\npcr-cmdline = 24\n' >>"$root/etc/mrboot.conf"
	run "$root" extend --pcr 12 --string x
	check "bad config: exit 3" [ "$status" -eq 3 ]
	check "bad config: the error names file and line" has err "mrboot.conf:[0-9]*: pcr-cmdline"
	cp "$tmp/conf" "$root/etc/mrboot.conf"
	echo 'root=/dev/sda2 mrboot.general.log-level="debug' >"$root/proc/cmdline"
	run "$root" extend --pcr 12 --string x
	check "bad kernel command line: exit 3" [ "$status" -eq 3 ]
	check "bad kernel command line: the error names the open quote" has err "unterminated quote"
	echo 'root=/dev/sda2' >"$root/proc/cmdline"
	run "$root" extend --pcr 12 --domain "two words" --operation o --content c
	check "a domain with a space: usage error (exit 2)" [ "$status" -eq 2 ]
	run "$root" extend --pcr 12 --string "$(printf 'bad\001byte')"
	check "a control character in the event: usage error (exit 2)" [ "$status" -eq 2 ]
	check "bad input extended nothing" [ "$(pcrread sha256 12)" = "$before" ]
	printf 'garbage\n' >>"$log"
	run "$root" extend --pcr 12 --string x
	check "a corrupt event log: exit 1" [ "$status" -eq 1 ]
	check "naming the byte" has err "byte [0-9]*: expected a record separator"
	check "a corrupt event log extended nothing" [ "$(pcrread sha256 12)" = "$before" ]

	# A writer killed between the steps of the write-ahead protocol (test builds only).
	rm -rf "$root/run"
	MRBOOT_FAULT=after-pending "$mrboot" --root "$root" extend --pcr 23 --string crash1 2>"$tmp/err"
	if [ $? -ne 86 ]; then
		skip "crash cases need a -Dfault_injection=true build (the glibc build in scripts/check)"
	else
		before=$(pcrread sha256 23)
		check "killed after the write-ahead record: PCR 23 is unchanged" [ "$before" = "$(printf '00%.0s' $(seq 32))" ]
		run "$root" replay
		check "the next start settles it: replay exits 0" [ "$status" -eq 0 ]
		check "and reports the record as never extended" has err "record 1 (systemd mrboot) was left pending: recovered: the register shows the extend never happened"
		MRBOOT_FAULT=after-extend "$mrboot" --root "$root" extend --pcr 23 --string crash2 2>"$tmp/err"
		check "killed after the extend: exit 86" [ $? -eq 86 ]
		run "$root" extend --pcr 23 --string after
		check "the next extend settles it and goes on (exit 0)" [ "$status" -eq 0 ]
		check "reporting that the extend had happened" has err "record 2 (systemd mrboot) was left pending: recovered: the register shows the extend happened"
		check "PCR 23 is what the log's committed events make" [ "$(pcrread sha256 23)" = "$(expect "$log" tpm sha256 23)" ]
		run "$root" replay
		check "replay matches after both crashes" [ "$status" -eq 0 ]
	fi
	swtpm_stop
fi

# ---- TDX and CCA registers (fixture trees with the kernel's paths and modes) ------------
for spec in tdx:sha384:rtmr2:/sys/devices/virtual/misc/tdx_guest/measurements cca-sha512:sha512:rem2:/sys/devices/virtual/misc/arm_cca_guest/measurements; do
	name=${spec%%:*}; rest=${spec#*:}; alg=${rest%%:*}; rest=${rest#*:}; reg=${rest%%:*}; dir=${rest#*:}
	root=$tmp/$name
	mkdir "$root"
	python3 "$fixtures/mktree.py" "$fixtures/$name.spec" "$root"
	run "$root" measure
	check "$name: measure exits 0" [ "$status" -eq 0 ]
	log=$root/run/log/mrboot/events.jsonseq
	file="$root$dir/$reg:$alg"
	text='mrboot separator {"phase":"measurements-done"}'
	want=$(python3 -c "import hashlib,struct,sys; t=sys.argv[1].encode(); print(hashlib.new('$alg', struct.pack('<II',0x4141454C,len(t))+t).hexdigest())" "$text")
	check "$name: the last write to $reg was exactly the AAEL digest of the separator" [ "$(od -An -v -tx1 "$file" | tr -d ' \n')" = "$want" ]
	check "$name: the kernel command line was measured with its text" grep -q '"operation":"kernel-cmdline","content":"{\\"cmdline\\":\\"BOOT_IMAGE=/vmlinuz-7.2.13-amd64' "$log"
	# The fixture cannot compute H(old || digest): give it the value the log says, computed here.
	python3 -c "import sys; open(sys.argv[1],'wb').write(bytes.fromhex(sys.argv[2]))" "$file" "$(expect "$log" cc "$alg" 2)"
	run "$root" replay
	check "$name: replay exits 0 when $reg holds the value computed from the log" [ "$status" -eq 0 ]
	python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[7]^=1; open(sys.argv[1],'wb').write(b)" "$file"
	run "$root" replay
	check "$name: one flipped bit in $reg makes replay exit 4" [ "$status" -eq 4 ]
	check "$name: naming $reg" has err "$reg: DIFFERS"
done

# ---- SEV-SNP without a vTPM: no register; the events are logged, and that is said ------
root=$tmp/sev-snp
mkdir "$root"
python3 "$fixtures/mktree.py" "$fixtures/sev-snp.spec" "$root"
run "$root" measure
check "sev-snp: measure exits 0" [ "$status" -eq 0 ]
check "sev-snp: it says plainly that nothing is attestable" has err "no register to extend: events are logged only, and are not attestable"
check "sev-snp: it logged the events" has err "logged 3 events (no register on this platform)"
check "sev-snp: the records are committed with family none and no before/after" python3 -c '
import json, sys
recs = [json.loads(c) for c in open(sys.argv[1], "rb").read().split(b"\x1e")[1:]]
pend = [r for r in recs if r["state"] == "pending"]
done = [r["seq"] for r in recs if r["state"] == "committed"]
assert len(pend) == 3 and done == [1, 2, 3]
assert all(r["family"] == "none" and r["before"] == [] and r["after"] == [] for r in pend)
assert pend[0]["digests"][0]["alg"] == "sha384"' "$root/run/log/mrboot/events.jsonseq"
run "$root" replay
check "sev-snp: replay exits 0 and says there is nothing to compare" has out "no register on this platform: 3 events logged only"
run "$root" log --format aael --output "$tmp/aael"
check "sev-snp: a binary event log of register extends is refused (exit 1)" [ "$status" -eq 1 ]

tap_end
