#!/bin/sh
# TAP: agent/'s folders are layers: a file includes headers of its own folder and of the
# folders listed before its own (README.md, Layout), never of one after it.
# Usage: layers.sh SOURCE_ROOT
set -u
cd "$1/agent" || exit 1
order="basic json crypto jose mr platform evlog measure attest net handoff config kbs luks cli"
rank() {
	i=0
	for l in $order; do
		[ "$l" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
	echo -1
}
n=0
fail=0
for dir in $order; do
	mine=$(rank "$dir")
	bad=""
	for f in $(find "$dir" -name '*.[ch]' | LC_ALL=C sort); do
		for inc in $(sed -n 's/^#include "\([a-z]*\)\/.*"/\1/p' "$f" | sort -u); do
			theirs=$(rank "$inc")
			if [ "$theirs" -lt 0 ] || [ "$theirs" -gt "$mine" ]; then
				bad="$bad $f->$inc"
			fi
		done
	done
	n=$((n + 1))
	if [ -z "$bad" ]; then
		echo "ok $n - agent/$dir/ includes only its own layer and those below"
	else
		fail=1
		echo "not ok $n - agent/$dir/ includes only its own layer and those below"
		echo "#$bad"
	fi
done
n=$((n + 1))
loose=$(find . -maxdepth 1 -name '*.[ch]' | sort | tr '\n' ' ')
if [ -z "$loose" ]; then
	echo "ok $n - no source file outside a folder"
else
	fail=1
	echo "not ok $n - no source file outside a folder: $loose"
fi
echo "1..$n"
exit $fail
