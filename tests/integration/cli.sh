#!/bin/sh
# TAP: the command-line interface as a user meets it: help, version, exit statuses, the
# configuration with kernel command line overrides, and where messages go (stderr or kmsg).
# Usage: cli.sh MRBOOT VERSION CONFIG_PATH (the compiled-in default, e.g. /etc/mrboot.conf)
set -u
mrboot=$1
version=$2
conf=$3
. "$(dirname "$0")/../lib/tap.sh"
run() { # runs mrboot, capturing stdout, stderr and the exit status
	"$mrboot" "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
}
has() { grep -q -e "$2" "$tmp/$1"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root/etc" "$root/proc" "$root/dev" "$root$(dirname "$conf")"

run --help
check "--help exits 0" [ "$status" -eq 0 ]
check "--help lists the config command" has out '^  config '
check "--help documents the exit statuses" has out 'Exit status'
run --version
check "--version prints the version" [ "$(cat "$tmp/out")" = "mrboot $version" ]
run
check "no command is a usage error (exit 2)" [ "$status" -eq 2 ]
run frobnicate
check "an unknown command is a usage error (exit 2)" [ "$status" -eq 2 ]
check "an unknown command is named" has err "unknown command 'frobnicate'"
run --log-level chatty config
check "an unknown log level is a usage error (exit 2)" [ "$status" -eq 2 ]
run config --help
check "config --help exits 0 and shows its usage" [ "$status" -eq 0 ]
check "config --help shows the command's usage" has out '^Usage: mrboot config'
run config --bogus
check "an unknown command option is a usage error (exit 2)" [ "$status" -eq 2 ]

# No configuration and no kernel command line: the defaults.
run --root "$root" config
check "config without a file succeeds" [ "$status" -eq 0 ]
check "config without a file shows the default log level" has out '^log-level = info$'

cat >"$root$conf" <<'CONF'
# an example
[general]
log-level = warning
CONF
echo "BOOT_IMAGE=/vmlinuz root=/dev/vda1 quiet" >"$root/proc/cmdline"
run --root "$root" config
check "config shows the file's value" has out '^log-level = warning$'

echo 'BOOT_IMAGE=/vmlinuz mrboot.general.log-level=debug quiet' >"$root/proc/cmdline"
run --root "$root" config
check "a mrboot.* kernel parameter overrides the file" has out '^log-level = debug$'

echo 'mrboot.general.log-levl=debug' >"$root/proc/cmdline"
run --root "$root" config
check "an unknown mrboot.* kernel parameter is a configuration error (exit 3)" [ "$status" -eq 3 ]
check "the unknown kernel parameter is named" has err 'mrboot.general.log-levl'

echo 'quiet' >"$root/proc/cmdline"
printf '[general]\nlog-level = loud\n' >"$root$conf"
run --root "$root" config --check
check "a bad value is a configuration error (exit 3)" [ "$status" -eq 3 ]
check "the error names file and line" has err "$conf:2:"
check "config --check prints nothing on stdout" [ ! -s "$tmp/out" ]

printf '[general]\nverbosity = 3\n' >"$root$conf"
run --root "$root" config
check "an unknown key is a configuration error (exit 3)" [ "$status" -eq 3 ]
check "the unknown key is named with file and line" has err "$conf:2:.*verbosity"

# Messages to kmsg: one "<priority>mrboot[pid]: text" record per message.
: >"$root/dev/kmsg"
run --root "$root" --log-target kmsg config
check "with --log-target kmsg the error is not on stderr" [ ! -s "$tmp/err" ]
check "the error is a kmsg record with priority 3" has "root/dev/kmsg" '^<3>mrboot\[[0-9]*\]: .*verbosity'

# In an initrd, as PID 1's child, messages go to kmsg by themselves. unshare makes a shell
# PID 1 of a new PID namespace; that needs root (CI runs as root).
: >"$root/dev/kmsg"
touch "$root/etc/initrd-release"
if unshare --pid --fork sh -c "\"$mrboot\" --root \"$root\" config; :" >"$tmp/out" 2>"$tmp/err"; then
	check "in an initrd as PID 1's child, errors go to kmsg" has "root/dev/kmsg" '^<3>mrboot\['
else
	skip "unshare --pid is not permitted here (needs root): $(head -c 200 "$tmp/err")"
fi
rm -f "$root/etc/initrd-release"
: >"$root/dev/kmsg"
run --root "$root" config
check "outside an initrd errors go to stderr" has err '^mrboot: error: '
check "outside an initrd nothing goes to kmsg" [ ! -s "$root/dev/kmsg" ]

tap_end
