#!/usr/bin/env bash
# Selftest / demonstration for nfq-delay (run as root).
#
# Topology (like the lab's "Internet" segment):
#
#   ns A (10.203.0.1) --veth-- [ ns SW: bridge br0, ports port-a / port-b ] --veth-- ns B (10.203.0.2)
#
# In SW: net.bridge.bridge-nf-call-iptables=1 and
#        iptables -A FORWARD -j NFQUEUE --queue-num Q --queue-bypass
# so every bridged IPv4 packet (both directions) goes through nfq-delay -d 20.
#
# Checks: fail-open without daemon; UDP echo RTT ~ 40 ms (median within +-3 ms); a burst of
# 5000 UDP datagrams all delivered in order; a paced 5000 pps stream (extra one-way delay);
# clean SIGTERM (fail-open again afterwards); loss rate with -l; jitter with -j.
# Exits non-zero on any failed check. Takes ~10 s.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
PY=/usr/bin/python3
[ -x "$PY" ] || PY="$(command -v python3)"
PROBE="$here/udpprobe.py"
DELAY_MS=${DELAY_MS:-20}
QNUM=${QNUM:-$((1000 + $$ % 30000))}
BURST=${BURST:-5000}
# Options for the daemon under test. SCHED_FIFO keeps its release times exact even when the
# host is busy (other work next to it); NFQ_OPTS= ./selftest.sh tests plain CFS.
NFQ_OPTS=${NFQ_OPTS--r 10}

[ "$(id -u)" = "0" ] || { echo "selftest: must run as root" >&2; exit 1; }
BIN="$("$root/scripts/build-nfq-delay")"
if ! command -v iptables >/dev/null 2>&1; then
    echo "selftest: installing iptables (nf_tables backend) for -j NFQUEUE" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iptables >/dev/null ||
        { echo "selftest: iptables missing and cannot be installed" >&2; exit 1; }
fi

tag="nfqd$$"
NA="$tag-a"; NB="$tag-b"; NS="$tag-sw"
tmp="$(mktemp -d)"
pids=()
failures=0

cleanup() {
    set +e
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    for n in "$NA" "$NB" "$NS"; do ip netns del "$n" 2>/dev/null; done
    rm -rf "$tmp"
}
forget() { local keep=() p; for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done; pids=("${keep[@]}"); }
trap cleanup EXIT
trap 'exit 130' INT TERM

check() { # check DESCRIPTION CONDITION(python expr on stdin-less values)
    if "$PY" -c "import sys; sys.exit(0 if ($2) else 1)"; then
        echo "PASS: $1"
    else
        echo "FAIL: $1"; failures=$((failures + 1))
    fi
}
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2" | head -1; } # field NAME LINE

# --- topology -------------------------------------------------------------------------
for n in "$NA" "$NB" "$NS"; do ip netns add "$n"; done
ip -n "$NS" link add br0 type bridge
ip -n "$NS" link set br0 up
for side in a b; do
    peer=$([ $side = a ] && echo "$NA" || echo "$NB")
    ip -n "$NS" link add "port-$side" type veth peer name eth0 netns "$peer"
    ip -n "$NS" link set "port-$side" master br0 up
    ip -n "$peer" link set lo up
    ip -n "$peer" link set eth0 up
done
ip -n "$NA" addr add 10.203.0.1/24 dev eth0
ip -n "$NB" addr add 10.203.0.2/24 dev eth0

# Delay on the bridge: bridged IPv4 frames traverse iptables FORWARD in the switch namespace.
ip netns exec "$NS" sysctl -qw net.bridge.bridge-nf-call-iptables=1
ip netns exec "$NS" iptables -A FORWARD -j NFQUEUE --queue-num "$QNUM" --queue-bypass

ip netns exec "$NB" "$PY" "$PROBE" echo 7007 & pids+=($!)
sleep 0.3
ip netns exec "$NA" "$PY" "$PROBE" rtt 10.203.0.2 7007 3 5 >/dev/null # ARP warm-up

# --- 1. fail-open: rule present, no daemon ------------------------------------------------
out=$(ip netns exec "$NA" "$PY" "$PROBE" rtt 10.203.0.2 7007 20 5)
echo "no daemon (bypass):      $out"
check "queue-bypass passes packets while no daemon is bound (median < 2 ms)" \
    "$(field median "$out") < 2 and $(field lost "$out") == 0"

# --- 2. RTT through nfq-delay -d 20 --------------------------------------------------------
# shellcheck disable=SC2086
ip netns exec "$NS" "$BIN" -q "$QNUM" -d "$DELAY_MS" $NFQ_OPTS 2>"$tmp/daemon.log" & dpid=$!; pids+=($dpid)
sleep 0.3
kill -0 "$dpid" 2>/dev/null || { cat "$tmp/daemon.log"; echo "FAIL: nfq-delay did not start"; exit 1; }
echo "daemon: $(head -1 "$tmp/daemon.log")"
out=$(ip netns exec "$NA" "$PY" "$PROBE" rtt 10.203.0.2 7007 50 10)
echo "RTT with -d $DELAY_MS:         $out"
med=$(field median "$out")
check "RTT median $med ms within 3 ms of $((2 * DELAY_MS)) ms" \
    "abs($med - 2 * $DELAY_MS) <= 3 and $(field lost "$out") == 0"
check "RTT min >= 2*delay (never early)" "$(field min "$out") >= 2 * $DELAY_MS"

# --- 3. burst throughput -------------------------------------------------------------------
run_stream() { # run_stream PORT COUNT PPS -> "sink line | blast line"
    rm -f "$tmp/ready"
    ip netns exec "$NB" "$PY" "$PROBE" sink "$1" "$2" 2 "$tmp/ready" >"$tmp/sink.out" & local sp=$!
    for _ in $(seq 100); do [ -e "$tmp/ready" ] && break; sleep 0.02; done
    local tx; tx=$(ip netns exec "$NA" "$PY" "$PROBE" blast 10.203.0.2 "$1" "$2" "$3")
    wait "$sp" || true
    echo "$(cat "$tmp/sink.out") | $tx"
}
out=$(run_stream 7101 "$BURST" 0)
echo "burst $BURST:              $out"
check "burst: all $BURST datagrams delivered" "$(field received "$out") == $BURST"
check "burst: one-way min >= $DELAY_MS ms, nothing reordered" \
    "$(field min "$out") >= $DELAY_MS and $(field reordered "$out") == 0"

# --- 4. paced stream, 5000 pps for 1 s: extra delay ------------------------------------------
out=$(run_stream 7102 5000 5000)
echo "paced 5000 pps x 1 s:    $out"
check "paced: all 5000 delivered, nothing reordered" \
    "$(field received "$out") == 5000 and $(field reordered "$out") == 0"
check "paced: one-way median <= delay + 1 ms" "$(field median "$out") <= $DELAY_MS + 1"
check "paced: one-way p99 <= delay + 2 ms" "$(field p99 "$out") <= $DELAY_MS + 2"

# --- 5. clean shutdown, then fail-open again -------------------------------------------------
kill -TERM "$dpid"
rc=0; wait "$dpid" || rc=$?; forget "$dpid"
echo "daemon exit: rc=$rc; $(tail -1 "$tmp/daemon.log")"
check "SIGTERM: exit status 0" "$rc == 0"
out=$(ip netns exec "$NA" "$PY" "$PROBE" rtt 10.203.0.2 7007 10 5)
echo "after SIGTERM (bypass):  $out"
check "after daemon exit packets pass undelayed" \
    "$(field median "$out") < 2 and $(field lost "$out") == 0"

# --- 6. loss: -l 10 one way, 4000 datagrams (seeded) ------------------------------------------
ip netns exec "$NS" "$BIN" -q "$QNUM" -d 5 -l 10 -s 42 2>"$tmp/daemon2.log" & dpid=$!; pids+=($dpid)
sleep 0.3
out=$(run_stream 7103 4000 20000)
echo "loss -l 10 -d 5:         $out"
got=$(field received "$out")
check "loss: delivered $got of 4000, i.e. ~10% lost (8..12%)" \
    "3520 <= $got <= 3680"
kill -TERM "$dpid"; wait "$dpid" || true; forget "$dpid"
echo "daemon exit: $(tail -1 "$tmp/daemon2.log")"

# --- 7. jitter: -d 15 -j 5 (seeded), RTT probes ---------------------------------------------
ip netns exec "$NS" "$BIN" -q "$QNUM" -d 15 -j 5 -s 7 2>"$tmp/daemon3.log" & dpid=$!; pids+=($dpid)
sleep 0.3
out=$(ip netns exec "$NA" "$PY" "$PROBE" rtt 10.203.0.2 7007 50 10)
echo "jitter -d 15 -j 5:       $out"
check "jitter: RTT within 20..42 ms and spread >= 8 ms" \
    "$(field min "$out") >= 20 and $(field max "$out") <= 42 and $(field max "$out") - $(field min "$out") >= 8"
kill -TERM "$dpid"; wait "$dpid" || true; forget "$dpid"

if [ "$failures" -ne 0 ]; then
    echo "selftest: $failures check(s) FAILED"
    exit 1
fi
echo "selftest: all checks passed"
