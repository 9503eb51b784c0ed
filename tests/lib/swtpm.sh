# Sourced by tests: a private swtpm (TPM 2.0 simulator) that both mrboot and tpm2-tools reach.
#
# swtpm_start DIR: starts swtpm with its state in DIR, the TPM command channel on the AF_UNIX
#   socket DIR/server.sock and the control channel on DIR/server.sock.ctrl, the name that
#   libtss2-tcti-swtpm (>= 3.2) derives from "swtpm:path=DIR/server.sock". Sets swtpm_sock,
#   swtpm_pid and swtpm_tcti (for TPM2TOOLS_TCTI). Returns 1 with $swtpm_why set when swtpm is
#   missing or does not come up within 5 s.
# swtpm_stop: stops it (also when it was left SIGSTOPped); call it from the test's EXIT trap.
#
# swtpm serves one client at a time on the command channel: close one connection before
# another program (tpm2_pcrread) can be answered. Sockets rather than TCP: no port to pick,
# nothing another user on the machine can connect to.
swtpm_pid=""
swtpm_start() {
	swtpm_why=""
	if ! command -v swtpm >/dev/null 2>&1; then
		swtpm_why="swtpm is not installed (scripts/setup installs swtpm swtpm-tools)"
		return 1
	fi
	swtpm_sock=$1/server.sock
	swtpm_tcti="swtpm:path=$swtpm_sock"
	# not-need-init and startup-clear: the TPM is ready for commands as after firmware's
	# TPM2_Startup(CLEAR), with no CMD_INIT on the control channel first.
	swtpm socket --tpm2 --tpmstate dir="$1" \
		--server type=unixio,path="$swtpm_sock" --ctrl type=unixio,path="$swtpm_sock.ctrl" \
		--flags not-need-init,startup-clear --log file="$1/swtpm.log" \
		>"$1/swtpm.out" 2>&1 &
	swtpm_pid=$!
	for _ in $(seq 50); do
		kill -0 "$swtpm_pid" 2>/dev/null || break
		# The sockets exist once bound; an answer on the control channel means listening.
		if [ -S "$swtpm_sock" ] && [ -S "$swtpm_sock.ctrl" ] &&
			{ ! command -v swtpm_ioctl >/dev/null 2>&1 ||
				swtpm_ioctl --unix "$swtpm_sock.ctrl" -c >/dev/null 2>&1; }; then
			return 0
		fi
		sleep 0.1
	done
	swtpm_why="swtpm did not come up: $(cat "$1/swtpm.out" "$1/swtpm.log" 2>/dev/null | head -c 300 | tr '\n' ' ')"
	swtpm_stop
	return 1
}
swtpm_stop() {
	if [ -n "$swtpm_pid" ]; then
		kill "$swtpm_pid" 2>/dev/null
		kill -CONT "$swtpm_pid" 2>/dev/null
		wait "$swtpm_pid" 2>/dev/null
		swtpm_pid=""
	fi
}
