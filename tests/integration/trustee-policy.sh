#!/bin/sh
# TAP: the Trustee policies mrboot ships (trustee/*.rego), evaluated by Open Policy Agent
# (tests/lib/rego.sh builds tests/witness/rego-eval.go from Debian's packages) the way Trustee's
# attestation service evaluates them with regorus: data.policy.trust_claims over the claims,
# query_reference_value() answered from what the RVPS would store of `mrboot predict --format
# rvps` (tests/witness/trustee-rvps.py). The claims come from real attestations: mrboot measures
# and attests to the test broker (tests/kbs/broker.py, whose TDX and TPM claims are Trustee's
# verifiers' shape, uefi_event_logs included), and its token carries them.
#  - TDX (tsm-mr and configfs-tsm emulators, the fixture's CCEL): the predicted image gets
#    executables 3; a changed kernel command line, an event whose text is not what was
#    extended, and an unknown image get the default 33;
#  - TPM (swtpm): PCR 15 as predicted and a trusted attestation key: 3; an untrusted key
#    or a changed command line: 33;
#  - the resource policy releases to an affirming appraisal with executables 3 only.
# Usage: trustee-policy.sh MRBOOT FIXTURES_DIR
set -u
. "$(dirname "$0")/../lib/tap.sh"
mrboot=$1
fixtures=$2
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
src=$(cd "$tests_dir/.." && pwd)
kbs_lib_dir=$tests_dir/kbs
. "$kbs_lib_dir/lib-kbs.sh"
. "$tests_dir/lib/configfs-tsm.sh"
. "$tests_dir/lib/tsm-mr.sh"
. "$tests_dir/lib/swtpm.sh"
. "$tests_dir/lib/rego.sh"
py=/usr/bin/python3
tmp=$(mktemp -d)
cleanup() {
	kbs_stop
	tsm_stop
	tsm_mr_stop
	swtpm_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
tap_diagnose() {
	[ -s "$tmp/why" ] && sed 's/^/# /' "$tmp/why"
	return 0
}

t0=$(date +%s)
if ! rego_build; then
	skip_all "no Rego evaluator: $rego_why"
fi
echo "# rego-eval: OPA $rego_opa ($(($(date +%s) - t0)) s: $rego_stats)"
attestation=$src/trustee/mrboot-attestation.rego
resource=$src/trustee/mrboot-resource.rego
for policy in "$attestation" "$resource"; do
	check "${policy##*/} parses and compiles (Trustee's check_policy_format)" \
		sh -c '"$1" --check --policy "$2" >"$3" 2>&1' sh "$rego_eval" "$policy" "$tmp/why"
done

kbs_make_certs "$tmp" || skip_all "$kbs_why"
cmdline="BOOT_IMAGE=/vmlinuz-7.2.13-amd64 root=/dev/mapper/root ro quiet"
port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
kbs_url=https://localhost:$port

conf() { # ROOT TEE [extra lines...]
	c_root=$1 c_tee=$2
	shift 2
	mkdir -p "$c_root/etc/mrboot" "$c_root/proc"
	cp "$tmp/ca.pem" "$c_root/etc/mrboot/kbs-ca.pem"
	{
		printf '[kbs]\nurl = %s\ntee = %s\ntimeout = 20\n' "$kbs_url" "$c_tee"
		for line in "$@"; do echo "$line"; done
	} >"$c_root/etc/mrboot.conf"
}
# claims TOKEN_JSON TEE OUT: the policy's input as Trustee's transform_claims() makes it from
# the token's claims: the TEE's claims under its name, report_data and init_data at the top.
claims() {
	$py - "$1" "$2" >"$3" <<'EOF'
import base64, json, sys
token = json.load(open(sys.argv[1]))["token"]
payload = token.split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["tcb-status"]
doc = {"report_data": claims.pop("report_data", ""), "init_data": claims.pop("init_data", ""),
       sys.argv[2]: claims}
print(json.dumps(doc))
EOF
}
# refs RVPS OUT [NAME=JSON...]: what the RVPS would store of the message, and more names.
refs() {
	r_rvps=$1 r_out=$2
	shift 2
	$py "$tests_dir/witness/trustee-rvps.py" "$r_rvps" >"$r_out.stored" || return 1
	$py - "$r_out.stored" "$@" >"$r_out" <<'EOF'
import json, sys
refs = json.load(open(sys.argv[1]))
for extra in sys.argv[2:]:
    name, _, value = extra.partition("=")
    refs[name] = json.loads(value)
print(json.dumps(refs))
EOF
}
# verdict INPUT REFS RULE: the value rego-eval gives for data.policy.RULE
verdict() {
	"$rego_eval" --policy "$attestation" --input "$1" --refs "$2" \
		--query "data.policy.$3" 2>"$tmp/why"
}
executables_is() { # WANT INPUT REFS
	got=$(verdict "$2" "$3" trust_claims) || return 1
	echo "trust_claims: $got" >"$tmp/why"
	[ "$($py -c 'import json, sys; print(json.loads(sys.argv[1])["executables"])' "$got")" = "$1" ]
}

# ---- TDX -------------------------------------------------------------------------------------
tdx_attest() { # NAME CMDLINE: measure and attest a TDX root booted with CMDLINE
	root=$tmp/$1
	mkdir -p "$root"
	$py "$fixtures/mktree.py" "$fixtures/tdx-boot.spec" "$root" >/dev/null || return 1
	printf '%s\n' "$2" >"$root/proc/cmdline"
	conf "$root" tdx
	tsm_mr_start "$root" tdx "$tmp/$1.mr.log" || return 1
	tsm_start "$root" tdx_guest "$tmp/$1.tsm.log" --measurements "$tsm_mr_dir" || return 1
	"$mrboot" --root "$root" measure >"$tmp/$1.measure" 2>&1 &&
		"$mrboot" --root "$root" attest --json >"$tmp/$1.token" 2>"$tmp/$1.err"
	a_status=$?
	tsm_stop
	tsm_mr_stop
	return $a_status
}
if [ ! -c /dev/fuse ] || ! $py -c 'import fusepy' 2>/dev/null; then
	skip "TDX: FUSE or python3-fusepy is missing, the emulators cannot run"
else
	kbs_start "$tmp" tdx --port "$port" --tee tdx || bail "$kbs_why"
	# The image as built: its tree and command line, before anything boots.
	mkdir -p "$tmp/image" && $py "$fixtures/mktree.py" "$fixtures/tdx-boot.spec" "$tmp/image" \
		>/dev/null && conf "$tmp/image" tdx &&
		"$mrboot" --root "$tmp/image" predict --platform tdx --cmdline "$cmdline" \
			--firmware-log "$tmp/image/sys/firmware/acpi/tables/data/CCEL" \
			--format rvps --image fixture >"$tmp/tdx.rvps" || bail "mrboot predict failed"
	if tdx_attest good "$cmdline" && claims "$tmp/good.token" tdx "$tmp/good.json"; then
		mr_td=$($py -c 'import json, sys; print(json.load(open(sys.argv[1]))["tdx"]["quote"]["body"]["mr_td"])' "$tmp/good.json")
		refs "$tmp/tdx.rvps" "$tmp/tdx.refs" "mr_td=[\"$mr_td\"]"
		check "tdx: the predicted image's boot: executables 3" \
			executables_is 3 "$tmp/good.json" "$tmp/tdx.refs"
		# An event whose text is not what was extended: the verifier says so, the policy
		# must not believe the text.
		$py - "$tmp/good.json" >"$tmp/unmatched.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
for e in doc["tdx"]["uefi_event_logs"]:
    if e["details"].get("unicode_name") == "AAEL":
        e["digest_matches_event"] = False
        break
print(json.dumps(doc))
EOF
		check "tdx: an mrboot event whose digest does not match its text: 33" \
			executables_is 33 "$tmp/unmatched.json" "$tmp/tdx.refs"
		$py - "$tmp/good.json" >"$tmp/extra.json" <<'EOF'
import copy, json, sys
doc = json.load(open(sys.argv[1]))
log = doc["tdx"]["uefi_event_logs"]
aael = [e for e in log if e["details"].get("unicode_name") == "AAEL"]
log.append(copy.deepcopy(aael[0]))
print(json.dumps(doc))
EOF
		check "tdx: one mrboot event more than predicted: 33" \
			executables_is 33 "$tmp/extra.json" "$tmp/tdx.refs"
		refs "$tmp/tdx.rvps" "$tmp/other.refs" 'mrboot/images=["another"]'
		check "tdx: the image is not among the accepted ones: 33" \
			executables_is 33 "$tmp/good.json" "$tmp/other.refs"
		check "tdx: mr_td as the reference says, no QVL collateral here: hardware stays 97" \
			sh -c '"$1" --policy "$2" --input "$3" --refs "$4" --query data.policy.hardware | grep -qx 97' \
			sh "$rego_eval" "$attestation" "$tmp/good.json" "$tmp/tdx.refs"
	else
		check "tdx: measure and attest ran ($(tail -2 "$tmp/good.err" 2>/dev/null))" false
	fi
	if tdx_attest tampered "$cmdline init=/bin/sh" &&
		claims "$tmp/tampered.token" tdx "$tmp/tampered.json"; then
		check "tdx: a changed kernel command line: 33" \
			executables_is 33 "$tmp/tampered.json" "$tmp/tdx.refs"
	else
		check "tdx tampered: measure and attest ran ($(tail -2 "$tmp/tampered.err" 2>/dev/null))" false
	fi
	kbs_stop
fi

# ---- TPM -------------------------------------------------------------------------------------
tpm_attest() { # NAME CMDLINE: a fresh swtpm (a new boot), measure and attest
	swtpm_stop
	rm -rf "$tmp/swtpm" && mkdir -p "$tmp/swtpm"
	swtpm_start "$tmp/swtpm" || return 1
	root=$tmp/$1
	mkdir -p "$root/proc"
	printf '%s\n' "$2" >"$root/proc/cmdline"
	conf "$root" tpm "[tpm]" "socket = $swtpm_sock"
	"$mrboot" --root "$root" measure >"$tmp/$1.measure" 2>&1 &&
		"$mrboot" --root "$root" attest --json >"$tmp/$1.token" 2>"$tmp/$1.err"
}
if ! { mkdir -p "$tmp/swtpm-probe" && swtpm_start "$tmp/swtpm-probe"; }; then
	skip "TPM: $swtpm_why"
else
	swtpm_stop
	kbs_start "$tmp" tpm --port "$port" --tee tpm --tpm-ak-tofu || bail "$kbs_why"
	# The image's configuration is the one each boot below has (its TPM: $tmp/swtpm).
	mkdir -p "$tmp/tpm-image" && conf "$tmp/tpm-image" tpm "[tpm]" "socket = $tmp/swtpm/server.sock" &&
		"$mrboot" --root "$tmp/tpm-image" predict --platform tpm --alone pcr15 \
			--cmdline "$cmdline" --format rvps --image fixture >"$tmp/tpm.rvps" ||
		bail "mrboot predict failed"
	if tpm_attest tpm-good "$cmdline" && claims "$tmp/tpm-good.token" tpm "$tmp/tpm-good.json"; then
		ak=$($py -c 'import json, sys; print(json.load(open(sys.argv[1]))["tpm"]["ak_public"])' "$tmp/tpm-good.json")
		refs "$tmp/tpm.rvps" "$tmp/tpm.refs" "trusted_aks=[\"$ak\"]"
		check "tpm: PCR 15 as predicted, the key trusted: executables 3" \
			executables_is 3 "$tmp/tpm-good.json" "$tmp/tpm.refs"
		refs "$tmp/tpm.rvps" "$tmp/tpm-noak.refs"
		check "tpm: an attestation key nobody vouched for: 33" \
			executables_is 33 "$tmp/tpm-good.json" "$tmp/tpm-noak.refs"
	else
		check "tpm: measure and attest ran ($(tail -2 "$tmp/tpm-good.err" 2>/dev/null))" false
	fi
	if tpm_attest tpm-tampered "$cmdline init=/bin/sh" &&
		claims "$tmp/tpm-tampered.token" tpm "$tmp/tpm-tampered.json"; then
		check "tpm: a changed kernel command line: 33" \
			executables_is 33 "$tmp/tpm-tampered.json" "$tmp/tpm.refs"
	else
		check "tpm tampered: measure and attest ran ($(tail -2 "$tmp/tpm-tampered.err" 2>/dev/null))" false
	fi
	kbs_stop
fi

# ---- the resource policy ---------------------------------------------------------------------
# input: the EAR token's claims (submods, one appraisal per device); data: the KBS's request.
ear() { # STATUS EXECUTABLES OUT
	printf '{"submods": {"cpu0": {"ear.status": "%s", "ear.trustworthiness-vector": {"executables": %s, "hardware": 2}}}}\n' \
		"$1" "$2" >"$3"
}
allow() { # INPUT PLUGIN: rego-eval's value of data.policy.allow
	printf '{"plugin": "%s", "resource-path": ["default", "mrboot", "root"], "query": {}}\n' "$2" \
		>"$tmp/data.json"
	"$rego_eval" --policy "$resource" --input "$1" --data "$tmp/data.json" \
		--query data.policy.allow 2>"$tmp/why"
}
ear affirming 3 "$tmp/ear-good.json"
check "resource: an affirming appraisal of an mrboot image: allowed" \
	[ "$(allow "$tmp/ear-good.json" resource)" = true ]
check "resource: the same through another plugin: denied" \
	[ "$(allow "$tmp/ear-good.json" sample)" = false ]
ear warning 33 "$tmp/ear-unknown.json"
check "resource: an unknown image (executables 33, warning): denied" \
	[ "$(allow "$tmp/ear-unknown.json" resource)" = false ]
ear affirming 2 "$tmp/ear-other.json"
check "resource: affirming, but executables not mrboot's 3: denied" \
	[ "$(allow "$tmp/ear-other.json" resource)" = false ]
tap_end
