#!/bin/sh
# TAP: rego-eval (tests/witness/rego-eval.go, built by tests/lib/rego.sh from Debian's OPA) is
# a real Rego evaluator with Trustee's query_reference_value: claims that follow the input and
# the reference values, an absent reference as null (so a comparison with it is undefined and
# the default holds), parse and compile errors named by file and line, and an undefined query
# refused. The first run builds OPA and its Go dependencies from sid's packages: minutes.
# Usage: rego-eval.sh
set -u
tests_dir=$(cd "$(dirname "$0")/.." && pwd)
. "$tests_dir/lib/tap.sh"
. "$tests_dir/lib/rego.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rego_build || skip_all "no rego-eval: $rego_why"
echo "# $rego_eval (OPA $rego_opa from $rego_suite)${rego_stats:+: $rego_stats}"

eval_() { # ARGS...: runs rego-eval, stdout into $out, stderr into $err, status into $status
	"$rego_eval" "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}
is() { # WHAT WANT: the last run exited 0 and printed WANT
	if [ "$status" -eq 0 ] && [ "$out" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1" "status $status, out: $out, want: $2
stderr: $err"
	fi
}
refused() { # WHAT PATTERN: the last run exited 1 and its stderr matches PATTERN
	if [ "$status" -eq 1 ] && printf '%s\n' "$err" | grep -q -e "$2"; then
		ok "$1"
	else
		not_ok "$1" "status $status, stderr: $err, want: $2"
	fi
}

# An attestation policy in the shape Trustee evaluates: data.policy.trust_claims, an object of
# claim -> integer, from the input (the evidence's claims) and the reference value store.
cat >"$tmp/policy.rego" <<'EOF'
package policy

import rego.v1

default executables := 33

default hardware := 97

executables := 3 if {
	input.tdx.quote.body.mr_td in query_reference_value("tdx.mr_td")
}

hardware := 2 if {
	input.tdx.quote.header.tee_type == "81000000"
}

trust_claims := {
	"executables": executables,
	"hardware": hardware,
}

ref_absent := query_reference_value("no.such.id")
EOF
cat >"$tmp/refs.json" <<'EOF'
{"tdx.mr_td": ["aaaa", "bbbb"]}
EOF
quote() { # MR_TD TEE_TYPE: an input document
	printf '{"tdx": {"quote": {"header": {"tee_type": "%s"}, "body": {"mr_td": "%s"}}}}\n' "$2" "$1"
}
quote bbbb 81000000 >"$tmp/x.json"
quote cccc 81000000 >"$tmp/y.json"
quote aaaa 00000000 >"$tmp/z.json"

eval_ --check --policy "$tmp/policy.rego"
is "--check accepts a well-formed policy (import rego.v1)" ""
eval_ --policy "$tmp/policy.rego" --input "$tmp/x.json" --refs "$tmp/refs.json" \
	--query data.policy.trust_claims
is "a measurement among the reference values: executables 3, hardware 2" \
	'{"executables":3,"hardware":2}'
eval_ --policy "$tmp/policy.rego" --input "$tmp/y.json" --refs "$tmp/refs.json" \
	--query data.policy.trust_claims
is "a measurement not among them: executables falls to its default 33" \
	'{"executables":33,"hardware":2}'
eval_ --policy "$tmp/policy.rego" --input "$tmp/z.json" --refs "$tmp/refs.json" \
	--query data.policy.trust_claims
is "the claim from the input alone follows it (hardware 97)" '{"executables":3,"hardware":97}'
echo '{"tdx.mr_td": ["cccc"]}' >"$tmp/refs-y.json"
eval_ --policy "$tmp/policy.rego" --input "$tmp/y.json" --refs "$tmp/refs-y.json" \
	--query data.policy.trust_claims
is "other reference values, other verdict: the same input now matches" \
	'{"executables":3,"hardware":2}'

# Trustee's store answers null for an id it does not have; a rule comparing with that is
# undefined, and the default holds.
eval_ --policy "$tmp/policy.rego" --input "$tmp/x.json" --refs "$tmp/refs.json" \
	--query data.policy.ref_absent
is "query_reference_value of an absent id is null" null
echo '{}' >"$tmp/empty.json"
eval_ --policy "$tmp/policy.rego" --input "$tmp/x.json" --refs "$tmp/empty.json" \
	--query data.policy.trust_claims
is "no reference values: the comparison is undefined, executables is the default 33" \
	'{"executables":33,"hardware":2}'
eval_ --policy "$tmp/policy.rego" --input "$tmp/x.json" --query data.policy.trust_claims
is "no --refs at all: the same" '{"executables":33,"hardware":2}'

# A resource policy (data.policy.allow), in v1 syntax without the rego.v1 import, and with
# both a rule and its default so that false is a value, not undefined.
cat >"$tmp/resource.rego" <<'EOF'
package policy

default allow := false

allow if {
	input["submods"]["cpu0"]["ear.trustworthiness-vector"]["executables"] == 3
}
EOF
printf '{"submods": {"cpu0": {"ear.trustworthiness-vector": {"executables": %s}}}}\n' 3 \
	>"$tmp/ear-3.json"
printf '{"submods": {"cpu0": {"ear.trustworthiness-vector": {"executables": %s}}}}\n' 33 \
	>"$tmp/ear-33.json"
eval_ --policy "$tmp/resource.rego" --input "$tmp/ear-3.json" --query data.policy.allow
is "a resource policy without import rego.v1: allow is true for executables 3" true
eval_ --policy "$tmp/resource.rego" --input "$tmp/ear-33.json" --query data.policy.allow
is "and false for 33" false

# Errors: each named by file and line, exit 1.
printf 'package policy\n\nimport rego.v1\n\nallow if {\n\tinput.a ==\n}\n' >"$tmp/syntax.rego"
eval_ --policy "$tmp/syntax.rego" --input "$tmp/x.json" --query data.policy.allow
refused "a syntax error: exit 1, named with its line (syntax.rego:7)" 'syntax\.rego:7: rego_parse_error'
eval_ --check --policy "$tmp/syntax.rego"
refused "--check refuses it the same way" 'syntax\.rego:7: rego_parse_error'
printf 'package policy\n\nimport rego.v1\n\nallow if {\n\tx == 1\n}\n' >"$tmp/unsafe.rego"
eval_ --check --policy "$tmp/unsafe.rego"
refused "--check compiles too: an unsafe variable is refused at its line" \
	'unsafe\.rego:6: rego_unsafe_var_error'
printf 'package policy\n\nallow { true }\n' >"$tmp/v0.rego"
eval_ --check --policy "$tmp/v0.rego"
refused "Rego v0 syntax (a body without if) is refused, as Rego v1 requires" \
	'v0\.rego:3: rego_parse_error'
printf 'package policy\n\nimport rego.v1\n\nx := query_reference_value(1)\n' >"$tmp/type.rego"
eval_ --check --policy "$tmp/type.rego"
refused "query_reference_value is declared string -> any: a number argument is a type error" \
	'type\.rego:5: rego_type_error'
eval_ --policy "$tmp/policy.rego" --input "$tmp/x.json" --refs "$tmp/refs.json" \
	--query data.policy.extensions
refused "an undefined query is exit 1, said plainly" 'data\.policy\.extensions: undefined'
eval_ --policy "$tmp/policy.rego"
is "without --input or --query: data.policy.trust_claims of an empty input, the defaults" \
	'{"executables":33,"hardware":97}'
eval_
check "no --policy is a usage error (exit 2)" [ "$status" -eq 2 ]
tap_end
