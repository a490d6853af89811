#!/usr/bin/python3
"""aioice (a third-party Python ICE/TURN stack) against a TURN server, for p2pnat's interop tests.

Run with /usr/bin/python3 (Debian python3-aioice 0.8). Each run prints ONE JSON line and exits 0
only if the case succeeded; every case is bounded by --timeout seconds (asyncio.wait_for).

  echo  --bind IP:PORT
        A plain UDP echo socket (the TURN peer). Prints {"echo":"IP:PORT"} once bound, then one
        line {"from":"IP:PORT"} the first time each source sends; echoes everything; runs until
        killed.

  relay --server IP:PORT --transport udp|tcp|tls [--cafile PEM] --user U --password P
        --peer IP:PORT [--count 50]
        aioice.turn.create_turn_endpoint: one allocation over UDP, TCP or TLS (TLS verified against
        --cafile, hostname = the server IP), then --count datagrams to the peer through the relay
        (a channel, as aioice binds one) and their echoes back. JSON: relayed address, received
        count, TLS version.

  ice   --server IP:PORT --a udp|tcp|tls --b udp|tcp|tls [--cafile PEM]
        --a-user U --a-password P --b-user U --b-password P [--count 20]
        Two aioice.Connection agents in this process, relay-only: no host addresses at all
        (use_ipv4=False, use_ipv6=False, so aioice opens no host socket it could pair anyway) and
        TransportPolicy.RELAY; candidates exchanged as SDP strings; connect; --count datagrams each
        way; the nominated pair of each agent must be relay -> relay.
"""

import argparse
import asyncio
import json
import logging
import ssl
import sys
import time

from aioice import Candidate, Connection, TransportPolicy, stun
from aioice.turn import TurnTransport, create_turn_endpoint


def addr(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def fmt(a):
    return None if a is None else "%s:%d" % (a[0], a[1])


def tls_context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def turn_options(transport, cafile):
    """aioice's (transport, ssl) for udp, tcp or tls."""
    if transport == "udp":
        return "udp", False
    if transport == "tcp":
        return "tcp", False
    if transport == "tls":
        if not cafile:
            raise SystemExit("tls needs --cafile")
        return "tcp", tls_context(cafile)
    raise SystemExit("bad transport %r" % transport)


def describe(exc):
    if isinstance(exc, stun.TransactionFailed):
        code = exc.response.attributes.get("ERROR-CODE")
        return "TURN error %s %s" % (code[0], code[1]) if code else "TURN error response"
    if isinstance(exc, stun.TransactionTimeout):
        return "STUN transaction timed out (no answer from the server)"
    return "%s: %s" % (type(exc).__name__, exc)


class Phase:
    """What the case is doing, for the timeout message."""

    def __init__(self):
        self.name = "start"
        self.t0 = time.monotonic()

    def __call__(self, name):
        self.name = name
        logging.info("phase: %s", name)

    def cleanup(self, name):
        """Clean-up after the case (or after its timeout): logged, but the phase that failed stays."""
        logging.info("clean-up: %s", name)


# ---- echo


class Echo(asyncio.DatagramProtocol):
    def __init__(self):
        self.seen = set()

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, src):
        if src not in self.seen:
            self.seen.add(src)
            print(json.dumps({"from": fmt(src)}), flush=True)
        self.transport.sendto(data, src)


async def echo(args):
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(Echo, local_addr=addr(args.bind))
    print(json.dumps({"echo": fmt(transport.get_extra_info("sockname"))}), flush=True)
    await asyncio.Event().wait()


# ---- relay


class Collect(asyncio.DatagramProtocol):
    def __init__(self):
        self.received = asyncio.Queue()

    def connection_made(self, transport):
        pass

    def datagram_received(self, data, src):
        self.received.put_nowait((data, src))


async def relay(args, out, phase):
    kind, ctx = turn_options(args.transport, args.cafile)
    peer = addr(args.peer)
    phase("allocate")
    transport, proto = await create_turn_endpoint(Collect, server_addr=addr(args.server), username=args.user,
                                                  password=args.password, transport=kind, ssl=ctx)
    try:
        out["relayed"] = fmt(transport.get_extra_info("sockname"))
        out["local"] = fmt(transport.get_extra_info("related_address"))
        inner = transport._TurnTransport__inner_protocol.transport  # the socket to the server
        ssl_object = inner.get_extra_info("ssl_object")
        out["tls"] = ssl_object.version() if ssl_object else None
        phase("relay %d datagrams to %s and back" % (args.count, args.peer))
        want = {}
        for i in range(args.count):
            payload = ("aioice %s %s #%d " % (args.transport, out["relayed"], i)).encode().ljust(120, b".")
            want[payload] = i
            transport.sendto(payload, peer)
            await asyncio.sleep(0.002)
        got = set()
        out["strays"] = 0
        while len(got) < args.count:
            data, src = await proto.received.get()
            if data in want and (src[0], src[1]) == peer:
                got.add(want[data])
                out["received"] = len(got)
            else:
                out["strays"] += 1
        return True
    finally:
        phase.cleanup("delete allocation")
        transport.close()  # Refresh lifetime 0, then the socket closes
        await asyncio.sleep(0.2)


# ---- ice


def pair_text(pair):
    lc, rc = pair.local_candidate, pair.remote_candidate
    return "%s %s:%d -> %s %s:%d" % (lc.type, lc.host, lc.port, rc.type, rc.host, rc.port)


async def ice(args, out, phase):
    agents = {}
    for name, controlling in (("a", True), ("b", False)):
        kind, ctx = turn_options(getattr(args, name), args.cafile)
        agents[name] = Connection(ice_controlling=controlling, turn_server=addr(args.server),
                                  turn_username=getattr(args, name + "_user"),
                                  turn_password=getattr(args, name + "_password"), turn_transport=kind, turn_ssl=ctx,
                                  use_ipv4=False, use_ipv6=False, transport_policy=TransportPolicy.RELAY)
    a, b = agents["a"], agents["b"]
    try:
        phase("gather (allocate)")
        await asyncio.gather(a.gather_candidates(), b.gather_candidates())
        for name, c in agents.items():
            out[name + "Candidates"] = " | ".join(cand.to_sdp() for cand in c.local_candidates)
            # sockets of the agent that are not TURN allocations: there must be none
            out[name + "HostSockets"] = sum(1 for p in c._protocols if not isinstance(p.transport, TurnTransport))
        phase("exchange candidates as SDP")
        for local, remote in ((a, b), (b, a)):
            for sdp in [cand.to_sdp() for cand in local.local_candidates]:
                await remote.add_remote_candidate(Candidate.from_sdp(sdp))
            await remote.add_remote_candidate(None)
            remote.remote_username = local.local_username
            remote.remote_password = local.local_password
        phase("connect")
        await asyncio.gather(a.connect(), b.connect())
        out["selectedA"] = pair_text(a._nominated[1])
        out["selectedB"] = pair_text(b._nominated[1])
        phase("data a->b and b->a")
        for sender, receiver, key in ((a, b, "aToB"), (b, a, "bToA")):
            want = set()
            for i in range(args.count):
                payload = ("ice %s #%d " % (key, i)).encode().ljust(200, b"-")
                want.add(payload)
                await sender.send(payload)
            got = 0
            while want:
                data = await receiver.recv()
                if data in want:
                    want.discard(data)
                    got += 1
                    out[key] = got
        return True
    finally:
        phase.cleanup("close")
        for c in (a, b):
            try:
                await asyncio.wait_for(c.close(), 3)
            except Exception as e:  # closing is not what is tested
                logging.info("close: %s", describe(e))


# ---- main


async def run_case(args):
    out = {"case": args.cmd, "ok": False, "error": None}
    if args.cmd == "relay":
        out.update({"transport": args.transport, "peer": args.peer, "count": args.count, "received": 0})
    else:
        out.update({"a": args.a, "b": args.b, "count": args.count, "aToB": 0, "bToA": 0})
    phase = Phase()
    body = relay(args, out, phase) if args.cmd == "relay" else ice(args, out, phase)
    try:
        out["ok"] = bool(await asyncio.wait_for(body, args.timeout))
    except asyncio.TimeoutError:
        out["error"] = "timed out after %g s in phase '%s'" % (args.timeout, phase.name)
    except Exception as e:
        out["error"] = "in phase '%s': %s" % (phase.name, describe(e))
    out["ms"] = round((time.monotonic() - phase.t0) * 1000)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("echo")
    e.add_argument("--bind", required=True)
    r = sub.add_parser("relay")
    r.add_argument("--server", required=True)
    r.add_argument("--transport", choices=["udp", "tcp", "tls"], required=True)
    r.add_argument("--cafile")
    r.add_argument("--user", required=True)
    r.add_argument("--password", required=True)
    r.add_argument("--peer", required=True)
    r.add_argument("--count", type=int, default=50)
    r.add_argument("--timeout", type=float, default=20)
    i = sub.add_parser("ice")
    i.add_argument("--server", required=True)
    i.add_argument("--a", choices=["udp", "tcp", "tls"], default="udp")
    i.add_argument("--b", choices=["udp", "tcp", "tls"], default="udp")
    i.add_argument("--cafile")
    for n in ("a", "b"):
        i.add_argument("--%s-user" % n, required=True)
        i.add_argument("--%s-password" % n, required=True)
    i.add_argument("--count", type=int, default=20)
    i.add_argument("--timeout", type=float, default=20)
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    if args.cmd == "echo":
        asyncio.run(echo(args))
        return
    out = asyncio.run(run_case(args))
    print(json.dumps(out, separators=(",", ":")), flush=True)
    sys.exit(0 if out["ok"] else 1)


if __name__ == "__main__":
    main()
