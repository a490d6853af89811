#!/usr/bin/python3
"""An independent RFC 5780 NAT behaviour discovery client (Python stdlib only).

Written from RFC 5780 and RFC 8489 alone, sharing no code with p2pnat, to check p2pnat's server
the way third-party clients use it: plain UNPADDED Binding requests (no PADDING, no FINGERPRINT;
20 bytes, 28 with CHANGE-REQUEST), sent back to back without pacing, retransmitted with the same
transaction id a few times.

Every answer is checked, not just read: it must come from the transport address the test expects
(the one the request went to, or the one CHANGE-REQUEST asked for), and its RESPONSE-ORIGIN must
name that same address. An answer from anywhere else is counted in "wrongSource" and is NOT taken
as the test's answer (a naive client would take it and misclassify filtering).

Tests (RFC 5780 section 4):
  mapping (4.3), one socket: I to the primary address; II to OTHER-ADDRESS's IP with the primary
    port; III to OTHER-ADDRESS. Same XOR-MAPPED-ADDRESS in I and II: endpoint-independent; same
    in II and III: address-dependent; else address-and-port-dependent.
  filtering (4.4), a fresh socket (a fresh NAT mapping): I to the primary address; II with
    CHANGE-REQUEST change-IP+change-port (answer expected from OTHER-ADDRESS): answered means
    endpoint-independent; else III with change-port only (answer expected from the primary IP and
    OTHER-ADDRESS's port): answered means address-dependent, else address-and-port-dependent.

Usage: rfc5780_client.py SERVER_IP:PORT [--tries 5] [--interval 0.2] [--wait 1.5]
Prints one JSON line; exits 0 only if both behaviours were determined with no wrong-source answer
and no protocol error, 1 otherwise, 2 on bad usage.
"""

import argparse
import ipaddress
import json
import os
import select
import signal
import socket
import struct
import sys
import time

MAGIC = 0x2112A442
BINDING_REQUEST = 0x0001
BINDING_SUCCESS = 0x0101
BINDING_ERROR = 0x0111
MAPPED_ADDRESS = 0x0001
CHANGE_REQUEST = 0x0003
XOR_MAPPED_ADDRESS = 0x0020
RESPONSE_ORIGIN = 0x802B
OTHER_ADDRESS = 0x802C
ERROR_CODE = 0x0009
CHANGE_IP = 0x04
CHANGE_PORT = 0x02


def fmt(addr):
    return None if addr is None else "%s:%d" % addr


def request(tid, change=None):
    """An unpadded Binding request: 20 bytes, 28 with CHANGE-REQUEST."""
    attrs = b""
    if change is not None:
        attrs = struct.pack("!HHI", CHANGE_REQUEST, 4, change)
    return struct.pack("!HHI", BINDING_REQUEST, len(attrs), MAGIC) + tid + attrs


def parse_address(value, xor):
    if len(value) < 8:
        raise ValueError("address attribute too short")
    family, port = value[1], struct.unpack("!H", value[2:4])[0]
    if family != 0x01:
        raise ValueError("address family %d (only IPv4 here)" % family)
    raw = value[4:8]
    if xor:
        port ^= MAGIC >> 16
        raw = bytes(a ^ b for a, b in zip(raw, struct.pack("!I", MAGIC)))
    return (str(ipaddress.IPv4Address(raw)), port)


def parse(data):
    """(type, tid, {attribute type: value}) of a STUN message; ValueError if it is not one."""
    if len(data) < 20:
        raise ValueError("short")
    mtype, length, cookie = struct.unpack("!HHI", data[:8])
    if cookie != MAGIC or mtype & 0xC000 or 20 + length > len(data) or length % 4:
        raise ValueError("not STUN")
    tid = data[8:20]
    attrs, pos, end = {}, 20, 20 + length
    while pos + 4 <= end:
        atype, alen = struct.unpack("!HH", data[pos:pos + 4])
        value = data[pos + 4:pos + 4 + alen]
        if len(value) != alen:
            raise ValueError("truncated attribute")
        attrs.setdefault(atype, value)
        pos += 4 + alen + (-alen % 4)
    return mtype, tid, attrs


class Client:
    def __init__(self, tries, interval, wait):
        self.tries, self.interval, self.wait = tries, interval, wait
        self.wrong_source = 0
        self.errors = []
        self.tests = []
        # transaction id -> (test name, expected source); late answers are checked too
        self.expected = {}
        self.answers = {}

    def new_socket(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", 0))
        return s

    def _accept(self, data, src):
        try:
            mtype, tid, attrs = parse(data)
        except ValueError:
            return
        if tid not in self.expected:
            return
        name, want = self.expected[tid]
        origin = None
        try:
            if RESPONSE_ORIGIN in attrs:
                origin = parse_address(attrs[RESPONSE_ORIGIN], False)
        except ValueError as e:
            self.errors.append("%s: bad RESPONSE-ORIGIN: %s" % (name, e))
        src = (src[0], src[1])
        if src != want or (origin is not None and origin != src):
            self.wrong_source += 1
            self.errors.append("%s: answer from %s (RESPONSE-ORIGIN %s), expected from %s"
                               % (name, fmt(src), fmt(origin), fmt(want)))
            return
        if mtype == BINDING_ERROR:
            code = attrs.get(ERROR_CODE, b"\0\0\0\0")
            self.errors.append("%s: error response %d" % (name, code[2] * 100 + code[3]))
            return
        if mtype != BINDING_SUCCESS:
            return
        if origin is None:
            self.errors.append("%s: success response without RESPONSE-ORIGIN" % name)
        mapped = None
        try:
            if XOR_MAPPED_ADDRESS in attrs:
                mapped = parse_address(attrs[XOR_MAPPED_ADDRESS], True)
            elif MAPPED_ADDRESS in attrs:
                mapped = parse_address(attrs[MAPPED_ADDRESS], False)
        except ValueError as e:
            self.errors.append("%s: bad mapped address: %s" % (name, e))
        if mapped is None:
            self.errors.append("%s: success response without a mapped address" % name)
            return
        other = None
        if OTHER_ADDRESS in attrs:
            try:
                other = parse_address(attrs[OTHER_ADDRESS], False)
            except ValueError as e:
                self.errors.append("%s: bad OTHER-ADDRESS: %s" % (name, e))
        self.answers.setdefault(tid, {"mapped": mapped, "other": other, "origin": origin})

    def drain(self, sock, timeout):
        ready, _, _ = select.select([sock], [], [], max(0.0, timeout))
        while ready:
            data, src = sock.recvfrom(2048)
            self._accept(data, src)
            ready, _, _ = select.select([sock], [], [], 0)

    def test(self, sock, name, dest, want_from, change=None):
        """One transaction: retransmitted `tries` times `interval` apart, waiting `wait` in all."""
        tid = os.urandom(12)
        self.expected[tid] = (name, want_from)
        msg = request(tid, change)
        start = time.monotonic()
        sent = 0
        while True:
            now = time.monotonic() - start
            if tid in self.answers or now >= self.wait:
                break
            if sent < self.tries and now >= sent * self.interval:
                sock.sendto(msg, dest)
                sent += 1
            nxt = sent * self.interval if sent < self.tries else self.wait
            self.drain(sock, min(nxt, self.wait) - (time.monotonic() - start))
        a = self.answers.get(tid)
        self.tests.append({"test": name, "to": fmt(dest), "expectedFrom": fmt(want_from),
                           "requestBytes": len(msg), "sent": sent,
                           "ms": round((time.monotonic() - start) * 1000),
                           "mapped": fmt(a["mapped"]) if a else None})
        return a


def run(server, tries, interval, wait):
    c = Client(tries, interval, wait)
    out = {"server": fmt(server), "mapping": None, "filtering": None, "publicAddress": None,
           "otherAddress": None}

    # mapping, RFC 5780 4.3
    mapping_other = None
    s = c.new_socket()
    try:
        t1 = c.test(s, "mapping-I", server, server)
        if t1 is None:
            c.errors.append("mapping-I: no valid answer from %s" % fmt(server))
        elif t1["other"] is None:
            c.errors.append("mapping-I: no OTHER-ADDRESS: the server does not do RFC 5780")
        else:
            other = mapping_other = t1["other"]
            out["publicAddress"] = fmt(t1["mapped"])
            out["otherAddress"] = fmt(other)
            to2 = (other[0], server[1])
            t2 = c.test(s, "mapping-II", to2, to2)
            if t2 is None:
                c.errors.append("mapping-II: no valid answer from %s" % fmt(to2))
            elif t2["mapped"] == t1["mapped"]:
                out["mapping"] = "endpoint-independent"
            else:
                t3 = c.test(s, "mapping-III", other, other)
                if t3 is None:
                    c.errors.append("mapping-III: no valid answer from %s" % fmt(other))
                elif t3["mapped"] == t2["mapped"]:
                    out["mapping"] = "address-dependent"
                else:
                    out["mapping"] = "address-and-port-dependent"
        c.drain(s, 0.3)  # duplicate answers to retransmissions are checked too
    finally:
        s.close()

    # filtering, RFC 5780 4.4, on a fresh socket so the mapping tests opened no filter for it
    s = c.new_socket()
    try:
        f1 = c.test(s, "filtering-I", server, server)
        if f1 is None:
            c.errors.append("filtering-I: no valid answer from %s" % fmt(server))
        else:
            other = f1["other"]
            if other is None:
                c.errors.append("filtering-I: no OTHER-ADDRESS in the answer")
                # go on with the one test I of the mapping tests named, to see the rest
                other = mapping_other
            if other is not None:
                f2 = c.test(s, "filtering-II", server, other, CHANGE_IP | CHANGE_PORT)
                if f2 is not None:
                    out["filtering"] = "endpoint-independent"
                else:
                    f3 = c.test(s, "filtering-III", server, (server[0], other[1]), CHANGE_PORT)
                    out["filtering"] = "address-dependent" if f3 is not None else "address-and-port-dependent"
        c.drain(s, 0.3)
    finally:
        s.close()

    out["wrongSource"] = c.wrong_source
    out["errors"] = c.errors
    out["tests"] = c.tests
    ok = out["mapping"] is not None and out["filtering"] is not None and not c.errors
    out["ok"] = ok
    return out, ok


def main():
    p = argparse.ArgumentParser(description="RFC 5780 NAT behaviour discovery with unpadded requests")
    p.add_argument("server", help="SERVER_IP:PORT (the primary address)")
    p.add_argument("--tries", type=int, default=5, help="transmissions per test (default 5)")
    p.add_argument("--interval", type=float, default=0.2, help="seconds between them (default 0.2)")
    p.add_argument("--wait", type=float, default=1.5, help="seconds a test waits in all (default 1.5)")
    a = p.parse_args()
    try:
        host, port = a.server.rsplit(":", 1)
        server = (str(ipaddress.IPv4Address(host)), int(port))
    except ValueError:
        p.error("bad server address %r: use IPv4:PORT" % a.server)
    # bounded runtime whatever happens: at most 6 tests of `wait` seconds each, plus slack
    signal.signal(signal.SIGALRM, lambda *_: (print(json.dumps({"ok": False, "errors": ["timed out"]})),
                                              sys.stdout.flush(), os._exit(1)))
    signal.alarm(int(6 * a.wait + 10))
    out, ok = run(server, a.tries, a.interval, a.wait)
    print(json.dumps(out, separators=(",", ":")))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
