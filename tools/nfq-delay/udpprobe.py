#!/usr/bin/env python3
"""Tiny UDP probes for nfq-delay's selftest.

  udpprobe.py echo PORT                     echo every datagram back (forever)
  udpprobe.py rtt HOST PORT COUNT [GAP_MS]  COUNT request/reply probes; prints RTT stats
  udpprobe.py sink PORT COUNT IDLE_S READY  receive until COUNT or IDLE_S idle; one-way stats
  udpprobe.py blast HOST PORT COUNT [PPS]   send COUNT datagrams (PPS=0: as fast as possible)

rtt uses CLOCK_MONOTONIC. blast stamps each datagram with (seq, CLOCK_REALTIME ns at send);
the sink takes the kernel's receive timestamp (SO_TIMESTAMPNS, CLOCK_REALTIME) so the one-way
delay it reports is the network path (bridge + nfq-delay), not the sink's own scheduling.
All namespaces share the clocks. Output: one line "key=value ..." on stdout.
"""
import socket
import struct
import sys
import time

FMT = "!QQ"  # seq, send time ns
PAD = b"\0" * 16  # 32-byte payload
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; not exported by Python 3.11


def stats(vals_ms):
    if not vals_ms:
        return "n=0"
    v = sorted(vals_ms)
    n = len(v)
    pick = lambda q: v[min(n - 1, int(q * (n - 1) + 0.5))]
    return "n=%d min=%.3f median=%.3f p99=%.3f max=%.3f" % (n, v[0], pick(0.5), pick(0.99), v[-1])


def echo(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    while True:
        data, addr = s.recvfrom(2048)
        s.sendto(data, addr)


def rtt(host, port, count, gap_ms=20.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((host, port))
    s.settimeout(1.0)
    out, lost = [], 0
    for seq in range(count):
        t0 = time.monotonic_ns()
        s.send(struct.pack(FMT, seq, t0) + PAD)
        while True:
            try:
                data = s.recv(2048)
            except socket.timeout:
                lost += 1
                break
            rseq, _ = struct.unpack_from(FMT, data)
            if rseq == seq:
                out.append((time.monotonic_ns() - t0) / 1e6)
                break
        time.sleep(gap_ms / 1000.0)
    print("rtt_ms %s lost=%d" % (stats(out), lost))


def sink(port, count, idle_s, ready_file):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), 32 << 20)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.bind(("0.0.0.0", port))
    open(ready_file, "w").close()
    s.settimeout(idle_s)
    delays, seen = [], set()
    first = last = None
    top, reordered = -1, 0
    while len(seen) < count:
        try:
            data, anc, _, _ = s.recvmsg(2048, 64)
        except socket.timeout:
            break
        now = time.time_ns()
        for level, typ, val in anc:
            if level == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", val[:16])
                now = sec * 1000000000 + nsec
        seq, sent = struct.unpack_from(FMT, data)
        seen.add(seq)
        if seq < top:
            reordered += 1
        top = max(top, seq)
        delays.append((now - sent) / 1e6)
        first = first or now
        last = now
    span = (last - first) / 1e9 if first and last and last > first else 0.0
    print("received=%d of=%d reordered=%d oneway_ms %s rx_span_s=%.4f"
          % (len(seen), count, reordered, stats(delays), span))


def blast(host, port, count, pps=0.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    s.connect((host, port))
    interval = int(1e9 / pps) if pps > 0 else 0
    start = time.monotonic_ns()
    errors = 0
    for seq in range(count):
        if interval:
            target = start + seq * interval
            while time.monotonic_ns() < target:
                pass
        try:
            s.send(struct.pack(FMT, seq, time.time_ns()) + PAD)
        except OSError:
            errors += 1
    span = (time.monotonic_ns() - start) / 1e9
    print("sent=%d errors=%d tx_span_s=%.4f tx_pps=%.0f" % (count, errors, span, count / span if span else 0))


def main(a):
    cmd = a[0]
    if cmd == "echo":
        echo(int(a[1]))
    elif cmd == "rtt":
        rtt(a[1], int(a[2]), int(a[3]), float(a[4]) if len(a) > 4 else 20.0)
    elif cmd == "sink":
        sink(int(a[1]), int(a[2]), float(a[3]), a[4])
    elif cmd == "blast":
        blast(a[1], int(a[2]), int(a[3]), float(a[4]) if len(a) > 4 else 0.0)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
