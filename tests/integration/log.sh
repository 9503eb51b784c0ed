#!/bin/sh
# TAP: `mrboot log` on journals written by hand (log-check.py, digests from hashlib), every
# output read back by log-check.py's own parsers of the formats: JSON, text, TCG2
# PCR_EVENT2 (aael), CEL-TLV, and the CCEL evidence stream after a firmware log. Only
# committed records reach the binary forms; a damaged journal is refused with where.
# Usage: log.sh MRBOOT
set -u
mrboot=$1
check_py="$(dirname "$0")/../witness/log-check.py"
. "$(dirname "$0")/../lib/tap.sh"
tap_diagnose() { sed 's/^/# stderr: /' "$tmp/err"; }
tap_run() { # a failed check's own complaint goes with the agent's stderr
	"$@" 2>"$tmp/why" && return 0
	cat "$tmp/why" >>"$tmp/err"
	return 1
}
run() { # ROOT ARGS...: runs mrboot log under ROOT into $tmp/out, $tmp/err, $status
	r=$1
	shift
	"$mrboot" --root "$r" --log-target stderr log "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
}
has() { grep -q -e "$2" "$tmp/$1"; }
witness() { python3 "$check_py" "$@"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
journal=run/log/mrboot/events.jsonseq
ccel=sys/firmware/acpi/tables/data/CCEL

for s in tdx cca tpm unsettled mixed control; do
	mkdir "$tmp/$s"
	witness journal "$tmp/$s" "$s" || exit 1
done
witness ccel-fixture "$tmp/tdx/$ccel" || exit 1
witness ccel-fixture "$tmp/tpm/$ccel" || exit 1

for s in tdx cca tpm; do
	for f in json text aael cel-tlv; do
		run "$tmp/$s" --format "$f"
		check "$s: --format $f exits 0" [ "$status" -eq 0 ]
		check "$s: --format $f is the journal, record for record" \
			witness "$f" "$tmp/$s/$journal" "$tmp/out"
	done
done
run "$tmp/tdx"
check "json is the default format" witness json "$tmp/tdx/$journal" "$tmp/out"

run "$tmp/tdx" --format ccel
check "tdx: --format ccel exits 0" [ "$status" -eq 0 ]
check "tdx: ccel is the firmware log, the committed records and 8 bytes of 0xFF" \
	witness ccel "$tmp/tdx/$journal" "$tmp/tdx/$ccel" "$tmp/out"
run "$tmp/cca" --format ccel
check "cca without a firmware CCEL: ccel exits 1" [ "$status" -eq 1 ]
check "cca without a firmware CCEL: the message names the path" has err "$tmp/cca/$ccel"
run "$tmp/tpm" --format ccel
check "tpm: ccel exits 1" [ "$status" -eq 1 ]
check "tpm: ccel says the CCEL holds no TPM records" has err "record 1 is of TPM PCR 12"

run "$tmp/tdx" --format aael
cp "$tmp/out" "$tmp/stdout"
run "$tmp/tdx" --format aael --output "$tmp/file"
check "--output writes nothing to standard output" [ ! -s "$tmp/out" ]
check "--output writes what standard output gets" cmp -s "$tmp/stdout" "$tmp/file"
run "$tmp/tdx" -f cel-tlv -o "$tmp/file"
check "-f and -o are --format and --output" witness cel-tlv "$tmp/tdx/$journal" "$tmp/file"

# A terminal on standard output: python's pty gives one without needing a real one.
tty_run() {
	python3 - "$mrboot" "$tmp/tdx" "$1" <<'PY'
import os, pty, subprocess, sys
master, slave = pty.openpty()
p = subprocess.run([sys.argv[1], "--root", sys.argv[2], "log", "--format", sys.argv[3]],
                   stdout=slave, stderr=subprocess.PIPE)
os.close(slave)
sys.stderr.write(p.stderr.decode())
sys.exit(p.returncode)
PY
}
tty_run aael 2>"$tmp/err"
status=$?
check "binary to a terminal: exit 2" [ "$status" -eq 2 ]
check "binary to a terminal: says to use --output" \
	has err "refusing to write the binary aael format to a terminal; use --output FILE"
tty_run text 2>"$tmp/err"
status=$?
check "text to a terminal: exit 0" [ "$status" -eq 0 ]

# A reader whose output waits (a pager) must not keep the writers out of the log.
mkdir "$tmp/many"
witness journal "$tmp/many" many
mkfifo "$tmp/fifo"
"$mrboot" --root "$tmp/many" log --format text >"$tmp/fifo" 2>/dev/null &
pid=$!
exec 3<"$tmp/fifo"
sleep 2
check "a reader blocked on its output is still running" kill -0 "$pid"
check "and does not hold the log's lock" python3 -c '
import fcntl, sys
fcntl.flock(open(sys.argv[1], "rb+"), fcntl.LOCK_EX | fcntl.LOCK_NB)' "$tmp/many/$journal"
cat <&3 >"$tmp/out"
exec 3<&-
wait "$pid"
status=$?
check "and then writes the whole log" witness text "$tmp/many/$journal" "$tmp/out"

for f in aael cel-tlv; do
	run "$tmp/unsettled" --format "$f"
	check "unsettled: --format $f exits 0" [ "$status" -eq 0 ]
	check "unsettled: no pending or aborted record in $f" [ ! -s "$tmp/out" ]
done
run "$tmp/unsettled" --format json
check "unsettled: json shows the pending and aborted records" \
	witness json "$tmp/unsettled/$journal" "$tmp/out"
run "$tmp/unsettled" --format text
check "unsettled: text shows them with their states" \
	witness text "$tmp/unsettled/$journal" "$tmp/out"

for f in aael cel-tlv; do
	run "$tmp/mixed" --format "$f"
	check "mixed families: $f exits 1" [ "$status" -eq 1 ]
	check "mixed families: $f names both records" \
		has err "record 1 is of a tdx register, record 2 of a tpm one"
done

run "$tmp/control" --format text
check "control characters: text exits 0" [ "$status" -eq 0 ]
check "control characters: shown escaped" has out '{"path":"\\x1b\[2J"}$'
check "control characters: no ESC byte reaches the output" \
	sh -c "! LC_ALL=C grep -q \"$(printf '\033')\" '$tmp/out'"

# Damage: one digest changed, a record that is not JSON, a record cut short.
mkdir "$tmp/damaged"
witness journal "$tmp/damaged" tdx
python3 - "$tmp/damaged/$journal" <<'PY'
import sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
i = s.index('"digests":[{"alg":"sha384","digest":"') + 38
open(p, "w", encoding="utf-8").write(s[:i] + ("0" if s[i] != "0" else "1") + s[i + 1:])
PY
witness ccel-fixture "$tmp/damaged/$ccel"
for f in aael cel-tlv ccel; do
	run "$tmp/damaged" --format "$f"
	check "a changed digest: $f exits 1" [ "$status" -eq 1 ]
	check "a changed digest: $f names the record" \
		has err "record 1: its sha384 digest is not the hash of its event"
	check "a changed digest: $f writes nothing" [ ! -s "$tmp/out" ]
done

mkdir "$tmp/malformed"
witness journal "$tmp/malformed" tdx
offset=$(wc -c <"$tmp/malformed/$journal")
printf '\036{"seq":7,"state":\n' >>"$tmp/malformed/$journal"
run "$tmp/malformed" --format json
check "malformed journal: exit 1" [ "$status" -eq 1 ]
check "malformed journal: the message names the byte offset" \
	has err "$journal: record at byte $offset"

mkdir "$tmp/torn"
witness journal "$tmp/torn" tdx
offset=$(wc -c <"$tmp/torn/$journal")
printf '\036{"seq":7,"sta' >>"$tmp/torn/$journal"
run "$tmp/torn" --format json
check "torn last record: exit 0" [ "$status" -eq 0 ]
check "torn last record: the warning names its byte offset" \
	has err "record at byte $offset was cut short"
check "torn last record: the others are shown" witness json "$tmp/torn/$journal" "$tmp/out"

mkdir "$tmp/empty"
run "$tmp/empty" --format json
check "no log: json exits 0" [ "$status" -eq 0 ]
check "no log: json is an empty list" [ "$(cat "$tmp/out")" = '{"records":[]}' ]
run "$tmp/empty" --format text
check "no log: text exits 0" [ "$status" -eq 0 ]
check "no log: text prints nothing" [ ! -s "$tmp/out" ]
check "no log: text says no events were logged" has err "no events logged yet"
for f in aael cel-tlv; do
	run "$tmp/empty" --format "$f"
	check "no log: $f exits 0 with nothing" [ "$status" -eq 0 ] && [ ! -s "$tmp/out" ]
done
check "no log: reading it does not create it" [ ! -e "$tmp/empty/run" ]
witness ccel-fixture "$tmp/empty/$ccel"
run "$tmp/empty" --format ccel
check "no log: ccel is the firmware log and the terminator" \
	witness ccel "$tmp/empty/$journal" "$tmp/empty/$ccel" "$tmp/out"

run "$tmp/tdx" --format bogus
check "an unknown format is a usage error (exit 2)" [ "$status" -eq 2 ]
check "an unknown format is named" has err "unknown format 'bogus'"
run "$tmp/tdx" extra
check "an argument is a usage error (exit 2)" [ "$status" -eq 2 ]
run "$tmp/tdx" --help
check "--help shows the usage" has out '^Usage: mrboot log '

tap_end
