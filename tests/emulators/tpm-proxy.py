#!/usr/bin/python3
"""A TPM 2.0 that fails on demand: a proxy in front of swtpm's server socket.

The agent speaks to the proxy's AF_UNIX socket as to swtpm's (raw TPM 2.0 commands, each
framed by the size in its header). Every command goes on to swtpm unchanged unless a fault
matches it, so the registers are a real TPM's; a fault plays what a TPM or its bus can do
(TCG TPM 2.0 Library Part 2, TPM_RC; Part 1, 18 for the response header):
  rc=CODE    answer with that response code (header only) and do not send the command on: the
             TPM did not run it (TPM_RC_LOCALITY 0x907, TPM_RC_YIELDED 0x908, TPM_RC_RETRY
             0x922, ...);
  cut=N      send the command on (the TPM runs it), forward the first N bytes of its response,
             then close the connection: a response cut short;
  oversize   send the command on, forward the whole response with a responseSize 64 bytes
             larger than what follows, then close: a size larger than what can be read;
  hang       as oversize, but keep the connection open and send nothing more.
--fault COMMAND:FAULT[:COUNT] applies to the first COUNT (default 1, "inf" for all) commands
with that command code, by name (PCR_Extend, PCR_Read, Quote, CreatePrimary, FlushContext,
GetCapability, GetRandom) or as 0x hex. Connections are served one after the other, each with
its own connection to swtpm, which serves one client at a time.

Every command is appended to --log as a JSON line {"command": NAME, "action": ...}.
Usage: tpm-proxy.py --listen SOCK --tpm SWTPM_SOCK --ready FILE --log FILE [--fault SPEC]...
"""
import argparse
import json
import os
import signal
import socket
import struct
import sys

COMMANDS = {
    0x131: "CreatePrimary",
    0x158: "Quote",
    0x165: "FlushContext",
    0x17A: "GetCapability",
    0x17B: "GetRandom",
    0x17E: "PCR_Read",
    0x182: "PCR_Extend",
}
BY_NAME = {name: code for code, name in COMMANDS.items()}
HEADER = 10  # tag u16, size u32, command or response code u32


class Fault:
    def __init__(self, spec):
        parts = spec.split(":")
        if len(parts) not in (2, 3):
            raise ValueError(f"--fault {spec}: COMMAND:FAULT[:COUNT]")
        cmd = parts[0]
        self.code = BY_NAME[cmd] if cmd in BY_NAME else int(cmd, 16)
        kind, _, arg = parts[1].partition("=")
        if kind not in ("rc", "cut", "oversize", "hang"):
            raise ValueError(f"--fault {spec}: FAULT is rc=CODE, cut=N, oversize or hang")
        self.kind = kind
        self.arg = int(arg, 0) if arg else None
        if kind in ("rc", "cut") and self.arg is None:
            raise ValueError(f"--fault {spec}: {kind} needs a value")
        count = parts[2] if len(parts) == 3 else "1"
        self.left = float("inf") if count == "inf" else int(count)


def read_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_message(s):
    """One command or response, framed by the size in its header; None at EOF."""
    head = read_exact(s, HEADER)
    if head is None:
        return None
    size = struct.unpack(">I", head[2:6])[0]
    if size < HEADER or size > 1 << 16:
        return None
    rest = read_exact(s, size - HEADER)
    return None if rest is None else head + rest


def serve(client, args, faults, log):
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    upstream.connect(args.tpm)
    try:
        while True:
            cmd = read_message(client)
            if cmd is None:
                return
            code = struct.unpack(">I", cmd[6:10])[0]
            name = COMMANDS.get(code, f"0x{code:x}")
            fault = next((f for f in faults if f.code == code and f.left > 0), None)
            entry = {"command": name, "action": "forward"}
            if fault:
                fault.left -= 1
                entry["action"] = fault.kind + (f"={fault.arg:#x}" if fault.kind == "rc"
                                                else f"={fault.arg}" if fault.arg else "")
            log.write(json.dumps(entry) + "\n")
            log.flush()
            if fault and fault.kind == "rc":
                client.sendall(struct.pack(">HII", 0x8001, HEADER, fault.arg))
                continue
            upstream.sendall(cmd)
            rsp = read_message(upstream)
            if rsp is None:
                return
            if not fault:
                client.sendall(rsp)
            elif fault.kind == "cut":
                client.sendall(rsp[:fault.arg])
                return
            else:
                client.sendall(rsp[:2] + struct.pack(">I", len(rsp) + 64) + rsp[6:])
                if fault.kind == "oversize":
                    return
                # hang: the client waits for bytes that never come, until it gives up.
                while client.recv(4096):
                    pass
                return
    finally:
        upstream.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", required=True)
    p.add_argument("--tpm", required=True)
    p.add_argument("--ready", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--fault", action="append", default=[])
    args = p.parse_args()
    faults = [Fault(s) for s in args.fault]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if os.path.exists(args.listen):
        os.unlink(args.listen)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(args.listen)
    listener.listen(4)
    with open(args.ready, "w") as f:
        f.write("ready\n")
    with open(args.log, "a") as log:
        while True:
            client, _ = listener.accept()
            with client:
                try:
                    serve(client, args, faults, log)
                except OSError as e:
                    log.write(json.dumps({"error": str(e)}) + "\n")
                    log.flush()


if __name__ == "__main__":
    main()
