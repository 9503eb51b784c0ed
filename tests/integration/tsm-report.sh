#!/bin/sh
# TAP: configfs-tsm reports (agent/attest/tsm-report.c) against the FUSE emulator of the kernel's
# interface (tests/emulators/configfs-tsm.py), one provider at a time: the inblob written is
# exactly the bytes given, the report holds them where the provider's format puts them (read
# back by an independent parser below), privlevel is written for sev_guest only, a raced
# generation is retried and then refused, and every report directory is removed again, on
# success and on each failure path.
# Usage: tsm-report.sh TSM_REPORT_DRIVER FIXTURES_DIR
set -u
driver=$1
fixtures=$2
tmp=$(mktemp -d)
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
. "$tests_dir/lib/tap.sh"
. "$tests_dir/lib/configfs-tsm.sh"
trap 'tsm_stop; rm -rf "$tmp"' EXIT

# The reports as a verifier reads them, written from the formats' documents rather than from
# the emulator: TDX quote v4 (REPORTDATA at byte 568), the SEV-SNP ATTESTATION_REPORT
# (VMPL at 0x30, REPORT_DATA at 0x50), the GHCB certificate table, the Arm CCA token (CBOR
# tag 399, realm token under key 44241, challenge under key 10).
cat >"$tmp/check.py" <<'EOF'
import sys, uuid

kind, outfile, inblob = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
fields = dict(line.rstrip("\n").split(" ", 1) for line in open(outfile))
blob = lambda name: b"" if fields[name] == "-" else bytes.fromhex(fields[name])
out = blob("outblob")

def cbor(b, i=0):
    major, info = b[i] >> 5, b[i] & 31
    i += 1
    if info < 24:
        v = info
    else:
        size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
        v = int.from_bytes(b[i:i + size], "big")
        i += size
    if major == 0:
        return v, i
    if major == 1:
        return -1 - v, i
    if major in (2, 3):
        return b[i:i + v], i + v
    if major == 4:
        items = []
        for _ in range(v):
            item, i = cbor(b, i)
            items.append(item)
        return items, i
    if major == 5:
        m = {}
        for _ in range(v):
            k, i = cbor(b, i)
            m[k], i = cbor(b, i)
        return m, i
    if major == 6:
        inner, i = cbor(b, i)
        return ("tag", v, inner), i
    raise ValueError(f"CBOR major type {major}")

if kind == "tdx":
    ok = int.from_bytes(out[0:2], "little") == 4 and out[568:632] == inblob
elif kind == "snp":
    vmpl = int(sys.argv[4])
    ok = int.from_bytes(out[0x30:0x34], "little") == vmpl and out[0x50:0x90] == inblob
elif kind == "snp-certs":
    aux, entries, i = blob("auxblob"), [], 0
    while aux[i:i + 24] != bytes(24):
        guid = uuid.UUID(bytes=aux[i:i + 16])
        offset, length = (int.from_bytes(aux[i + k:i + k + 4], "little") for k in (16, 20))
        entries.append((str(guid), offset, length))
        i += 24
    ok = (entries[0][0] == "63da758d-e664-4564-adc5-f4b93be8accd" and
          all(i + 24 <= o and o + l <= len(aux) for _, o, l in entries))
elif kind == "cca":
    # tag 399 {44234: platform, 44241: realm}, each COSE_Sign1 (tag 18 [p, u, payload, sig]).
    token, _ = cbor(out)
    realm, _ = cbor(token[2][44241])
    claims, _ = cbor(realm[2][2])
    ok = (token[:2] == ("tag", 399) and 44234 in token[2] and realm[:2] == ("tag", 18)
          and claims[10] == inblob)
elif kind == "echo":
    ok = out == inblob
sys.exit(0 if ok else 1)
EOF

hex_of() { # LABEL LENGTH: LENGTH bytes derived from LABEL (SHA-512 repeated), as hex
	python3 -c 'import hashlib, sys; print((hashlib.sha512(sys.argv[1].encode()).digest() * 2)[:int(sys.argv[2])].hex())' "$1" "$2"
}
tree() { # SPEC: builds the tree once, prints its root
	if [ ! -d "$tmp/$1" ]; then
		mkdir "$tmp/$1"
		python3 "$fixtures/mktree.py" "$fixtures/$1.spec" "$tmp/$1" || exit 1
	fi
	echo "$tmp/$1"
}
tap_diagnose() { # a failed assertion shows what the last request printed and logged
	cat "$tmp/out" "$tmp/err" 2>/dev/null | cut -c 1-300 | sed 's/^/# /'
	[ -n "${log:-}" ] && sed 's/^/# log: /' "$log" | cut -c 1-200
}
tap_run() { "$@" >/dev/null 2>&1; }
check_not() { # DESCRIPTION COMMAND...: the command fails
	d=$1
	shift
	if tap_run "$@"; then not_ok "$d"; else ok "$d"; fi
}

start() { # SPEC PROVIDER [EMULATOR OPTIONS...]: mounts the emulator; false (skipped) if it cannot
	root=$(tree "$1")
	provider=$2
	log=$tmp/log-$provider-$n
	shift 2
	if tsm_start "$root" "$provider" "$log" "$@"; then
		return 0
	fi
	skip "configfs-tsm $provider${*:+ $*}: $tsm_why"
	return 1
}
request() { # INBLOB_HEX [PRIVLEVEL]: one report from the driver; status, out and err kept
	: >"$log"
	"$driver" "$root" "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
	name=$(sed -n 's/^mkdir //p' "$log" | tail -n 1)
}
field() { sed -n "s/^$1 //p" "$tmp/out"; }
logged() { grep -q -x -e "$1" "$log"; }
log_count() { grep -c -x -e "$1" "$log"; }
left_behind() { [ -n "$(ls -A "$root/sys/kernel/config/tsm/report")" ]; }
status_is() { [ "$status" -eq "$1" ]; }
error_is() { # ERRNO-NAME REGEX: the request failed with this errno and message
	[ "$status" -eq 1 ] && grep -q -E -e "^error $1 .*$2" "$tmp/err"
}
line_of() { grep -n -x -e "$1" "$log" | head -n 1 | cut -d: -f1; }
before() { [ "$(line_of "$1")" -lt "$(line_of "$2")" ]; }
cleaned() { # every report made was removed and nothing is left in configfs
	for made in $(sed -n 's/^mkdir //p' "$log"); do
		logged "rmdir $made" || return 1
	done
	! left_behind
}
eq() { [ "$1" = "$2" ]; }

# Without configfs-tsm at all (no emulator needed): the message says what is missing.
root=$(tree none)
log=$tmp/log-none-mount
request "$(hex_of absent 64)"
check "no configfs-tsm: refused with ENOENT naming the report directory" \
	error_is ENOENT "configfs-tsm is not available: .*/sys/kernel/config/tsm/report does not exist"

# TDX: 64 bytes of REPORTDATA, a quote v4 back.
if start tdx tdx_guest; then
	inblob=$(hex_of tdx 64)
	request "$inblob"
	check "tdx_guest: the report is made" status_is 0
	check "tdx_guest: the provider is named" eq "$(field provider)" tdx_guest
	check "tdx_guest: one report directory named mrboot-<pid>-<16 hex>" \
		eq "$(grep -c -E '^mkdir mrboot-[0-9]+-[0-9a-f]{16}$' "$log")" 1
	check "tdx_guest: the inblob written is the 64 bytes given" logged "inblob $name $inblob"
	check "tdx_guest: written once" eq "$(grep -c "^inblob $name " "$log")" 1
	check "tdx_guest: the quote is v4 with the inblob as REPORTDATA (byte 568)" \
		python3 "$tmp/check.py" tdx "$tmp/out" "$inblob"
	check "tdx_guest: no privlevel is written" eq "$(grep -c "^option $name " "$log")" 0
	check "tdx_guest: generation counts the one write" eq "$(field generation)" 1
	check "tdx_guest: no auxblob or manifestblob (the driver has none)" \
		eq "$(field auxblob) $(field manifestblob)" "- -"
	check "tdx_guest: one attempt" eq "$(field attempts)" 1
	check "tdx_guest: the outblob was read after the inblob was committed" \
		before "inblob $name $inblob" "read $name outblob"
	check "tdx_guest: the report directory is removed" logged "rmdir $name"
	check "tdx_guest: nothing is left in configfs" cleaned

	request "$(hex_of tdx-short 32)"
	check "tdx_guest, 32 bytes: refused with EINVAL naming the 64 bytes TDX takes" \
		error_is EINVAL "provider tdx_guest takes an inblob of exactly 64 bytes \(TDX REPORTDATA\), not 32"
	check "tdx_guest, 32 bytes: refused before any inblob was written" \
		eq "$(grep -c '^inblob ' "$log")" 0
	check "tdx_guest, 32 bytes: the report directory is removed" cleaned

	request ""
	check "tdx_guest, empty inblob: refused with EINVAL" error_is EINVAL "an empty inblob"
	check "tdx_guest, empty inblob: the report directory is removed" cleaned

	request "$inblob" 1
	check "tdx_guest, privlevel 1: refused, TDX has no privlevel" \
		error_is EINVAL "provider tdx_guest has no privlevel"
	check "tdx_guest, privlevel 1: nothing was written" eq "$(grep -c -E '^(inblob|option) ' "$log")" 0
	check "tdx_guest, privlevel 1: the report directory is removed" cleaned
	tsm_stop
fi

# A writer racing the first request: the generation check sees it and the request is made again.
if start tdx tdx_guest --race once; then
	inblob=$(hex_of race 64)
	request "$inblob"
	check "race once: the report is made" status_is 0
	check "race once: in a second attempt" eq "$(field attempts)" 2
	check "race once: two report directories were made" eq "$(log_count 'mkdir .*')" 2
	first=$(sed -n 's/^mkdir //p' "$log" | head -n 1)
	check "race once: the race hit the first one" logged "race $first"
	check "race once: the second holds the inblob as REPORTDATA" \
		python3 "$tmp/check.py" tdx "$tmp/out" "$inblob"
	check "race once: both report directories are removed" cleaned
	tsm_stop
fi
if start tdx tdx_guest --race always; then
	request "$(hex_of race 64)"
	check "race always: refused with EBUSY naming the race and the attempts" \
		error_is EBUSY "raced in all 3 attempts: .*generation went from 0 to 2 over our 1 writes: another writer raced"
	check "race always: three attempts, each in a report directory of its own" \
		eq "$(sed -n 's/^mkdir //p' "$log" | sort -u | wc -l)" 3
	check "race always: every report directory is removed" cleaned
	tsm_stop
fi
if start tdx tdx_guest --empty-outblob; then
	request "$(hex_of empty 64)"
	check "empty outblob: refused with ENODATA" error_is ENODATA "outblob: provider tdx_guest returned an empty report"
	check "empty outblob: the report directory is removed" cleaned
	tsm_stop
fi

# SEV-SNP: privlevel (the VMPL) written before the 64 bytes of REPORT_DATA; certificates in auxblob.
if start sev-snp sev_guest; then
	inblob=$(hex_of snp 64)
	request "$inblob"
	check "sev_guest: the report is made" status_is 0
	check "sev_guest: the provider is named" eq "$(field provider)" sev_guest
	check "sev_guest: the inblob written is the 64 bytes given" logged "inblob $name $inblob"
	check "sev_guest: privlevel is written, the floor (0) by default" logged "option $name privlevel 0"
	check "sev_guest: privlevel is written before the inblob" \
		before "option $name privlevel 0" "inblob $name $inblob"
	check "sev_guest: REPORT_DATA (0x50) holds the inblob and VMPL (0x30) is 0" \
		python3 "$tmp/check.py" snp "$tmp/out" "$inblob" 0
	check "sev_guest: generation counts both writes" eq "$(field generation)" 2
	check "sev_guest: auxblob and manifestblob are read" \
		eval 'logged "read $name auxblob" && logged "read $name manifestblob"'
	check "sev_guest: auxblob is a certificate table starting with the VCEK" \
		python3 "$tmp/check.py" snp-certs "$tmp/out" "$inblob"
	check "sev_guest: an empty manifestblob is no manifest" eq "$(field manifestblob)" -
	check "sev_guest: the report directory is removed" cleaned

	request "$inblob" 2
	check "sev_guest, privlevel 2: the report is made" status_is 0
	check "sev_guest, privlevel 2: written as asked" logged "option $name privlevel 2"
	check "sev_guest, privlevel 2: VMPL (0x30) is 2" python3 "$tmp/check.py" snp "$tmp/out" "$inblob" 2

	request "$inblob" 4
	check "sev_guest, privlevel 4: refused with EINVAL naming the range" \
		error_is EINVAL "privlevel 4 is outside what provider sev_guest takes \(privlevel_floor 0 to 3\)"
	check "sev_guest, privlevel 4: nothing was written" eq "$(grep -c -E '^(inblob|option) ' "$log")" 0
	check "sev_guest, privlevel 4: the report directory is removed" cleaned

	request "$(hex_of snp 63)"
	check "sev_guest, 63 bytes: refused with EINVAL naming the 64 bytes SEV-SNP takes" \
		error_is EINVAL "provider sev_guest takes an inblob of exactly 64 bytes \(SEV-SNP REPORT_DATA\), not 63"
	check "sev_guest, 63 bytes: the report directory is removed" cleaned
	tsm_stop
fi
if start sev-snp sev_guest --privlevel-floor 1; then
	inblob=$(hex_of snp-floor 64)
	request "$inblob"
	check "sev_guest, floor 1: the floor is written by default" logged "option $name privlevel 1"
	check "sev_guest, floor 1: VMPL (0x30) is 1" python3 "$tmp/check.py" snp "$tmp/out" "$inblob" 1
	request "$inblob" 0
	check "sev_guest, floor 1: privlevel 0 is refused naming the floor" \
		error_is EINVAL "privlevel 0 is outside .*privlevel_floor 1 to 3"
	check "sev_guest, floor 1: the report directory is removed" cleaned
	tsm_stop
fi

# Arm CCA: a challenge of 32..64 bytes, written as given (padding is the caller's choice).
if start cca-sha256 arm_cca_guest; then
	inblob=$(hex_of cca 48)
	request "$inblob"
	check "arm_cca_guest: the report is made" status_is 0
	check "arm_cca_guest: the inblob written is the 48 bytes given, unpadded" logged "inblob $name $inblob"
	check "arm_cca_guest: the token's realm challenge is the inblob" \
		python3 "$tmp/check.py" cca "$tmp/out" "$inblob"
	check "arm_cca_guest: no privlevel is written" eq "$(grep -c "^option $name " "$log")" 0
	check "arm_cca_guest: the report directory is removed" cleaned
	request "$(hex_of cca 32)"
	check "arm_cca_guest: 32 bytes, the least, are taken" status_is 0
	request "$(hex_of cca 31)"
	check "arm_cca_guest, 31 bytes: refused with EINVAL naming 32 to 64" \
		error_is EINVAL "provider arm_cca_guest takes an inblob of 32 to 64 bytes \(Arm CCA challenge\), not 31"
	check "arm_cca_guest, 31 bytes: the report directory is removed" cleaned
	tsm_stop
fi

# A provider mrboot does not know: the kernel's 64-byte limit is the only rule, and its EFBIG is
# explained.
if start none future_guest; then
	inblob=$(hex_of future 16)
	request "$inblob"
	check "unknown provider, 16 bytes: the report is made" status_is 0
	check "unknown provider, 16 bytes: the report is what the provider returned" \
		python3 "$tmp/check.py" echo "$tmp/out" "$inblob"
	request "$(hex_of future 65)"
	check "unknown provider, 65 bytes: the kernel's EFBIG is named with its 64-byte limit" \
		error_is EFBIG "writing 65 bytes to .*/inblob, where the kernel takes at most 64: File too large"
	check "unknown provider, 65 bytes: the report directory is removed" cleaned
	tsm_stop
fi

# No provider registered: the kernel refuses the mkdir with ENXIO.
if start none none; then
	request "$(hex_of none 64)"
	check "no provider: refused with ENXIO saying no provider is registered" \
		error_is ENXIO "no attestation report provider is registered .*No such device or address"
	check_not "no provider: no report directory was made" logged "mkdir .*"
	check_not "no provider: nothing is left in configfs" left_behind
	tsm_stop
fi

tap_end
