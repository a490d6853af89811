package io.p2pnat.sim;

import io.p2pnat.core.Endpoints;
import io.p2pnat.core.Timers;
import io.p2pnat.core.peer.PeerConfig;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * A deterministic in-process UDP network: hosts and NATs in realms, links with latency, jitter,
 * loss, duplication and reordering, and an event queue driven by a virtual clock. The hosts run
 * the very state machines of p2pnat-core ({@code PeerAgent}, {@code RendezvousService}); nothing
 * reads the wall clock and every random choice comes from the seed, so the same seed and the same
 * calls give the same event trace.
 *
 * <p>A packet is routed hop by hop, so NAT state is consulted when the packet reaches the NAT:
 * the sender's link, then in its realm to the host or child NAT owning the destination IP, or out
 * through the realm's own NAT (mapped there; looped back inside when addressed to that NAT's own
 * public IP and the NAT hairpins), and so on up to the internet, where unknown addresses are
 * unroutable. Each link's delay applies once per crossing.
 *
 * <p>Events at the same time run in the order they were scheduled. Host timers live in the same
 * queue: after every call into a host its {@code nextTimeout()} is read and (re)scheduled.
 */
public final class SimNet {
    private record Event(long at, long seq, Host host, long key, Runnable action) {
    }

    private final long seed;
    private final Random linkRandom;
    private final Random seeds;
    private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) ->
            a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    final Realm internet = new Realm(null);
    private final List<Host> hosts = new ArrayList<>();
    private final List<Nat> nats = new ArrayList<>();
    private final TreeMap<String, Long> drops = new TreeMap<>();
    private List<String> trace;
    private long traceHash = 1125899906842597L;
    private long now;
    private long seq;
    private long sent;
    private long delivered;
    private long events;
    private long sameTime;

    public SimNet(long seed) {
        this.seed = seed;
        this.linkRandom = new Random(seed);
        this.seeds = new Random(seed ^ 0x5DEECE66DL);
    }

    /** Keeps a readable line per send, receipt, drop and peer event (costly: for tests and debugging). */
    public SimNet traced() {
        trace = new ArrayList<>();
        return this;
    }

    // --- topology -------------------------------------------------------------------------

    /** A NAT with public IP {@code publicIp} inside {@code behind} (null: on the internet). */
    public Nat nat(String name, String publicIp, Nat behind, Link uplink, NatConfig config) {
        Realm parent = realm(behind);
        InetAddress ip = ip(publicIp);
        if (parent.taken(ip)) {
            throw new IllegalArgumentException(name + ": " + publicIp + " is taken in " + parent.name());
        }
        Nat n = new Nat(name, ip, parent, uplink, new NatModel(ip, config, new Random(seeds.nextLong())));
        parent.nats.put(ip, n);
        nats.add(n);
        return n;
    }

    /** A peer at {@code config}'s first private endpoint, behind {@code behind} (null: on the internet). */
    public PeerHost peer(PeerConfig config, Nat behind, Link link) {
        InetSocketAddress at = config.privateEndpoints().get(0);
        return add(new PeerHost(this, config, realm(behind), link, new Random(seeds.nextLong())));
    }

    /** A rendezvous server at {@code at} on the internet (or behind a NAT). */
    public ServerHost server(String name, InetSocketAddress at, Nat behind, Link link, RendezvousConfig config) {
        return add(new ServerHost(this, name, at, realm(behind), link, config, new Random(seeds.nextLong())));
    }

    /** A stateless STUN Binding responder at {@code at} (a server's second address, RFC 5780). */
    public BindingHost bindingResponder(String name, InetSocketAddress at, Nat behind, Link link) {
        return add(new BindingHost(this, name, at, realm(behind), link));
    }

    private <H extends Host> H add(H h) {
        if (h.realm.taken(h.ip)) {
            throw new IllegalArgumentException(h.name + ": " + h.ip.getHostAddress() + " is taken in " + h.realm.name());
        }
        h.realm.hosts.put(h.ip, h);
        hosts.add(h);
        return h;
    }

    private Realm realm(Nat behind) {
        return behind == null ? internet : behind.inside;
    }

    public static InetAddress ip(String literal) {
        return ep(literal + ":1").getAddress();
    }

    /** An endpoint from an IP literal and port, never a DNS lookup. */
    public static InetSocketAddress ep(String text) {
        return Endpoints.parse(text, 0);
    }

    /** The IPv4 address with this 32-bit value. */
    public static InetAddress ipv4(int value) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    // --- driving --------------------------------------------------------------------------

    public long now() {
        return now;
    }

    /** A seed for a new random source of some simulated part, from the simulator's seed. */
    long nextSeed() {
        return seeds.nextLong();
    }

    public long seed() {
        return seed;
    }

    /** Runs until {@code done} holds (checked after every event) or {@code max} of virtual time passed. */
    public boolean runUntil(BooleanSupplier done, Duration max) {
        long deadline = now + max.toNanos();
        if (done.getAsBoolean()) {
            return true;
        }
        while (!queue.isEmpty() && queue.peek().at <= deadline) {
            step();
            if (done.getAsBoolean()) {
                return true;
            }
        }
        now = Math.max(now, deadline);
        return done.getAsBoolean();
    }

    public void runFor(Duration d) {
        runUntil(() -> false, d);
    }

    /** Runs until the queue is empty or {@code until} (absolute virtual time) is reached. */
    public void runTo(long until) {
        while (!queue.isEmpty() && queue.peek().at <= until) {
            step();
        }
        now = Math.max(now, until);
    }

    private void step() {
        Event e = queue.poll();
        if (e.at == now) {
            if (++sameTime > 20_000_000) {
                throw new IllegalStateException("livelock at t=" + Timers.millis(now) + " ms");
            }
        } else {
            sameTime = 0;
        }
        now = e.at;
        events++;
        if (e.host == null) {
            e.action.run();
        } else if (e.host.timerAt == e.key) {
            e.host.timerAt = Timers.NEVER;
            e.host.timeout(now);
            touch(e.host);
        }
    }

    /** Runs {@code action} at {@code delay} from now, inside the loop (an application's command, a NAT change). */
    public void schedule(Duration delay, Runnable action) {
        later(delay.toNanos(), action);
    }

    /** Runs {@code action} at absolute virtual time {@code at} (not before now). */
    public void at(long at, Runnable action) {
        queue.add(new Event(Math.max(at, now), seq++, null, 0, action));
    }

    private void later(long delay, Runnable action) {
        queue.add(new Event(now + delay, seq++, null, 0, action));
    }

    /** Drains a host's output and (re)schedules its timer; call after every call into its state machine. */
    void touch(Host h) {
        h.flush(now);
        long t = h.nextTimeout();
        if (t != h.timerAt) {
            h.timerAt = t;
            if (t != Timers.NEVER) {
                queue.add(new Event(Math.max(t, now), seq++, h, t, null));
            }
        }
    }

    // --- routing --------------------------------------------------------------------------

    /** {@code h} sends {@code data} from its endpoint {@code from} to {@code to}. */
    void send(Host h, InetSocketAddress from, InetSocketAddress to, byte[] data) {
        sent++;
        record('s', from, to, data);
        if (trace != null) {
            log(h.name + " sends " + Endpoints.format(from) + " -> " + Endpoints.format(to) + " " + data.length + "B #"
                    + Integer.toHexString(Arrays.hashCode(data)));
        }
        cross(h.link, h.name, from, to, () -> arrive(h.realm, from, to, data));
    }

    /** Schedules {@code then} once per copy that survives the link. */
    private void cross(Link link, String where, InetSocketAddress from, InetSocketAddress to, Runnable then) {
        long[] delays = link.delays(linkRandom);
        if (delays.length == 0) {
            drop(where, "lost", from, to);
        }
        for (long d : delays) {
            later(d, then);
        }
    }

    private void arrive(Realm realm, InetSocketAddress src, InetSocketAddress dst, byte[] data) {
        InetAddress ip = dst.getAddress();
        Host h = realm.hosts.get(ip);
        if (h != null) {
            cross(h.link, h.name, src, dst, () -> deliver(h, src, dst, data));
            return;
        }
        Nat child = realm.nats.get(ip);
        if (child != null) {
            cross(child.uplink, child.name, src, dst, () -> inbound(child, src, dst, data));
            return;
        }
        Nat nat = realm.nat;
        if (nat == null) {
            drop("internet", "no route", src, dst);
            return;
        }
        InetSocketAddress mapped = nat.model.outbound(now, src, dst);
        if (mapped == null) {
            drop(nat.name, "ports exhausted", src, dst);
            return;
        }
        if (ip.equals(nat.publicIp)) {
            if (nat.config().hairpinning()) {
                inbound(nat, mapped, dst, data);
            } else {
                drop(nat.name, "no hairpin", src, dst);
            }
            return;
        }
        cross(nat.uplink, nat.name, mapped, dst, () -> arrive(nat.parent, mapped, dst, data));
    }

    private void inbound(Nat nat, InetSocketAddress src, InetSocketAddress dst, byte[] data) {
        InetSocketAddress inside = nat.model.inbound(now, src, dst.getPort());
        if (inside == null) {
            drop(nat.name, nat.model.refusal(now, src, dst.getPort()), src, dst);
            return;
        }
        arrive(nat.inside, src, inside, data);
    }

    // --- TCP ------------------------------------------------------------------------------

    /**
     * {@code h} sends a TCP segment from {@code from} to {@code to}. Segments take the same links
     * and NATs as datagrams; a NAT translates them through its TCP mappings
     * ({@link NatModel#outboundTcp}), and an unsolicited inbound SYN is dropped, or answered with
     * an RST from the NAT when its config says so ({@link NatConfig#tcpRst()}).
     */
    void sendTcp(Host h, InetSocketAddress from, InetSocketAddress to, TcpSegment seg) {
        sent++;
        record('S', from, to, seg.hash());
        if (trace != null) {
            log(h.name + " sends tcp " + Endpoints.format(from) + " -> " + Endpoints.format(to) + " " + seg.describe());
        }
        cross(h.link, h.name, from, to, () -> arriveTcp(h.realm, from, to, seg));
    }

    private void arriveTcp(Realm realm, InetSocketAddress src, InetSocketAddress dst, TcpSegment seg) {
        InetAddress ip = dst.getAddress();
        Host h = realm.hosts.get(ip);
        if (h != null) {
            cross(h.link, h.name, src, dst, () -> deliverTcp(h, src, dst, seg));
            return;
        }
        Nat child = realm.nats.get(ip);
        if (child != null) {
            cross(child.uplink, child.name, src, dst, () -> inboundTcp(child, src, dst, seg));
            return;
        }
        Nat nat = realm.nat;
        if (nat == null) {
            drop("internet", "no route", src, dst);
            return;
        }
        InetSocketAddress mapped = nat.model.outboundTcp(now, src, dst);
        if (mapped == null) {
            drop(nat.name, "ports exhausted", src, dst);
            return;
        }
        if (ip.equals(nat.publicIp)) {
            if (nat.config().hairpinning()) {
                inboundTcp(nat, mapped, dst, seg);
            } else {
                drop(nat.name, "no hairpin", src, dst);
            }
            return;
        }
        cross(nat.uplink, nat.name, mapped, dst, () -> arriveTcp(nat.parent, mapped, dst, seg));
    }

    private void inboundTcp(Nat nat, InetSocketAddress src, InetSocketAddress dst, TcpSegment seg) {
        InetSocketAddress inside = nat.model.inboundTcp(now, src, dst.getPort());
        if (inside == null) {
            drop(nat.name, "tcp " + nat.model.refusalTcp(now, src, dst.getPort()), src, dst);
            if (seg.isOpening() && nat.config().tcpRst()) {
                TcpSegment rst = TcpSegment.control(TcpSegment.RST | TcpSegment.ACK, 0, seg.seq() + 1);
                record('S', dst, src, rst.hash());
                if (trace != null) {
                    log(nat.name + " answers tcp " + Endpoints.format(dst) + " -> " + Endpoints.format(src) + " " + rst.describe());
                }
                cross(nat.uplink, nat.name, dst, src, () -> arriveTcp(nat.parent, dst, src, rst));
            }
            return;
        }
        arriveTcp(nat.inside, src, inside, seg);
    }

    private void deliverTcp(Host h, InetSocketAddress from, InetSocketAddress to, TcpSegment seg) {
        TcpStack stack = h.tcpStack();
        if (stack == null) {
            drop(h.name, "no tcp", from, to);
            return;
        }
        delivered++;
        record('R', from, to, seg.hash());
        if (trace != null) {
            log(h.name + " receives tcp " + Endpoints.format(from) + " -> " + Endpoints.format(to) + " " + seg.describe());
        }
        stack.receive(now, to.getPort(), from, seg);
        touch(h);
    }

    private void record(char kind, InetSocketAddress from, InetSocketAddress to, int dataHash) {
        long h = traceHash;
        h = h * 31 + now;
        h = h * 31 + kind;
        h = h * 31 + from.hashCode();
        h = h * 31 + to.hashCode();
        h = h * 31 + dataHash;
        traceHash = h;
    }

    private void deliver(Host h, InetSocketAddress from, InetSocketAddress to, byte[] data) {
        if (!h.listens(to.getPort())) {
            drop(h.name, "port closed", from, to);
            return;
        }
        delivered++;
        record('r', from, to, data);
        if (trace != null) {
            log(h.name + " receives " + Endpoints.format(from) + " -> " + Endpoints.format(to) + " " + data.length + "B");
        }
        h.receive(now, to.getPort(), from, data);
        touch(h);
    }

    private void drop(String where, String reason, InetSocketAddress from, InetSocketAddress to) {
        drops.merge(reason, 1L, Long::sum);
        record('d', from, to, null);
        if (trace != null) {
            log("drop at " + where + " (" + reason + ") " + Endpoints.format(from) + " -> " + Endpoints.format(to));
        }
    }

    /** Folds an event into the trace hash (cheap enough to do always). */
    private void record(char kind, InetSocketAddress from, InetSocketAddress to, byte[] data) {
        long h = traceHash;
        h = h * 31 + now;
        h = h * 31 + kind;
        h = h * 31 + from.hashCode();
        h = h * 31 + to.hashCode();
        h = h * 31 + (data == null ? 0 : Arrays.hashCode(data));
        traceHash = h;
    }

    void log(String line) {
        if (trace != null) {
            trace.add(String.format(Locale.ROOT, "%.3f %s", now / 1e6, line));
        }
    }

    /** Folds a peer event into the trace hash. */
    void recordEvent(String text) {
        traceHash = traceHash * 31 + text.hashCode();
        log(text);
    }

    // --- observation ----------------------------------------------------------------------

    /** The trace lines kept since {@link #traced()} (empty when not traced). */
    public List<String> trace() {
        return trace == null ? List.of() : List.copyOf(trace);
    }

    /** A hash over every send, receipt, drop and peer event with its time: equal runs, equal hashes. */
    public long traceHash() {
        return traceHash;
    }

    /** Drop counts by reason ("lost", "filtered", "no mapping", "no route", "no hairpin", "port closed", ...). */
    public TreeMap<String, Long> drops() {
        return new TreeMap<>(drops);
    }

    public long packetsSent() {
        return sent;
    }

    public long packetsDelivered() {
        return delivered;
    }

    /** Events processed by the loop so far. */
    public long eventsProcessed() {
        return events;
    }

    /** Events waiting in the queue (packets in flight, timers, scheduled commands). */
    public int queued() {
        return queue.size();
    }

    public List<Host> hosts() {
        return List.copyOf(hosts);
    }

    public List<Nat> nats() {
        return List.copyOf(nats);
    }
}
