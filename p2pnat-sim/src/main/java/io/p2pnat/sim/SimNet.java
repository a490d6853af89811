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
 * unroutable. Each link's delay applies once per crossing. Stops where nothing is decided (a
 * realm's static routing table) take no event of their own: a packet costs one event per NAT it
 * meets and one for its delivery.
 *
 * <p>Events at the same time run in the order they were scheduled. Host timers live in the same
 * queue: after every call into a host its {@code nextTimeout()} is read and (re)scheduled.
 */
public final class SimNet {
    private record Event(long at, long seq, Host host, long key, Runnable action) implements EventQueue.Timed {
    }

    private final long seed;
    private final Random linkRandom;
    private final Random seeds;
    private final EventQueue<Event> queue = new EventQueue<>();
    final Realm internet = new Realm(null);
    private final List<Host> hosts = new ArrayList<>();
    private final List<Nat> nats = new ArrayList<>();
    /** Drop counts by reason (a plain map: a birthday punch drops hundreds of packets). */
    private final java.util.HashMap<String, long[]> drops = new java.util.HashMap<>();
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
        this.linkRandom = new SimRandom(seed);
        this.seeds = new SimRandom(seed ^ 0x5DEECE66DL);
    }

    /** Whether hosts send runs of datagrams to one address as a {@link Batch}; tests compare both ways. */
    boolean batching = true;

    /** Sends every datagram on its own (see {@link Batch}): the same trace, more events. */
    SimNet unbatched() {
        batching = false;
        return this;
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
        Nat n = new Nat(name, ip, parent, uplink, new NatModel(ip, config, new SimRandom(seeds.nextLong())));
        parent.addNat(ip, n);
        nats.add(n);
        return n;
    }

    /** A peer at {@code config}'s first private endpoint, behind {@code behind} (null: on the internet). */
    public PeerHost peer(PeerConfig config, Nat behind, Link link) {
        InetSocketAddress at = config.privateEndpoints().get(0);
        return add(new PeerHost(this, config, realm(behind), link, new SimRandom(seeds.nextLong())));
    }

    /** A rendezvous server at {@code at} on the internet (or behind a NAT). */
    public ServerHost server(String name, InetSocketAddress at, Nat behind, Link link, RendezvousConfig config) {
        return add(new ServerHost(this, name, at, realm(behind), link, config, new SimRandom(seeds.nextLong())));
    }

    /** A stateless STUN Binding responder at {@code at} (a server's second address, RFC 5780). */
    public BindingHost bindingResponder(String name, InetSocketAddress at, Nat behind, Link link) {
        return add(new BindingHost(this, name, at, realm(behind), link));
    }

    private <H extends Host> H add(H h) {
        if (h.realm.taken(h.ip)) {
            throw new IllegalArgumentException(h.name + ": " + h.ip.getHostAddress() + " is taken in " + h.realm.name());
        }
        h.realm.addHost(h.ip, h);
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
            if (now >= e.host.nextTimeout()) {
                e.host.timeout(now);
            }
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

    /**
     * Drains a host's output and makes sure the queue wakes it by its next timeout; call after
     * every call into its state machine. A queued wake-up is a hint: one earlier than the
     * timeout stays (it finds nothing due, and schedules the real one), so a timer that keeps
     * moving later (a keepalive pushed back by every packet) costs no queue insertion each time.
     */
    void touch(Host h) {
        h.flush(now);
        long t = h.nextTimeout();
        if (t < h.timerAt) {
            h.timerAt = t;
            queue.add(new Event(Math.max(t, now), seq++, h, t, null));
        }
    }

    /** (Re)schedules {@code nat}'s sweep of expired mappings after a call that may have made one. */
    private void touch(Nat nat) {
        long t = nat.model.sweepDue();
        if (t < nat.sweepAt) {
            nat.sweepAt = t;
            queue.add(new Event(Math.max(t, now), seq++, null, 0, () -> {
                if (nat.sweepAt == t) {
                    nat.sweepAt = Long.MAX_VALUE;
                    nat.model.sweep(now);
                    touch(nat);
                }
            }));
        }
    }

    // --- routing --------------------------------------------------------------------------

    /**
     * A datagram or a TCP segment on its way: what happens at the three kinds of stateful stop
     * a packet can reach (a host, a NAT from outside, a realm's own NAT on the way out).
     */
    private interface Packet {
        void deliver(Host h, InetSocketAddress src, InetSocketAddress dst);

        void inbound(Nat nat, InetSocketAddress src, InetSocketAddress dst);

        /** The public source {@code nat} gives the packet (its UDP or TCP mappings), or null. */
        InetSocketAddress mapOut(Nat nat, InetSocketAddress src, InetSocketAddress dst);
    }

    /** {@code p} reaches {@code realm}'s own NAT on its way out: mapped, looped back (hairpin) or dropped. */
    private void leave(Realm realm, InetSocketAddress src, InetSocketAddress dst, Packet p) {
        Nat nat = realm.nat;
        if (nat == null) {
            drop("internet", "no route", src, dst);
            return;
        }
        InetSocketAddress mapped = p.mapOut(nat, src, dst);
        touch(nat);
        if (mapped == null) {
            drop(nat.name, "ports exhausted", src, dst);
            return;
        }
        if (dst.getAddress().equals(nat.publicIp)) {
            if (nat.config().hairpinning()) {
                p.inbound(nat, mapped, dst);
            } else {
                drop(nat.name, "no hairpin", src, dst);
            }
            return;
        }
        crossInto(nat.uplink, nat.name, nat.parent, mapped, dst, p);
    }

    private final class Datagram implements Packet {
        final byte[] data;

        Datagram(byte[] data) {
            this.data = data;
        }

        @Override
        public void deliver(Host h, InetSocketAddress src, InetSocketAddress dst) {
            SimNet.this.deliver(h, src, dst, data);
        }

        @Override
        public void inbound(Nat nat, InetSocketAddress src, InetSocketAddress dst) {
            InetSocketAddress inside = nat.model.inbound(now, src, dst.getPort());
            if (inside == null) {
                drop(nat.name, nat.model.lastRefusal(), src, dst);
                return;
            }
            route(nat.inside, src, inside, this, 0);
        }

        @Override
        public InetSocketAddress mapOut(Nat nat, InetSocketAddress src, InetSocketAddress dst) {
            return nat.model.outbound(now, src, dst);
        }
    }

    /**
     * Datagrams one host sends at one moment to one destination address (a birthday spray from
     * 256 sockets, a tick of probes to one NAT's ports). They cross the same links and meet the
     * same NATs at the same instants, in order, so they travel as one event per stop; each is
     * still translated, filtered, counted, traced and delivered on its own, in the order sent.
     * Only the tie-break among simultaneous events of different origins can differ from sending
     * them one by one. A random link (loss, jitter, duplication) splits a batch into packets.
     */
    static final class Batch {
        private InetSocketAddress[] src = new InetSocketAddress[4];
        private InetSocketAddress[] dst = new InetSocketAddress[4];
        private byte[][] data = new byte[4][];
        private int n;

        /** Adds a datagram; every one must go to the same address as the first. */
        void add(InetSocketAddress from, InetSocketAddress to, byte[] d) {
            if (n == src.length) {
                src = Arrays.copyOf(src, n * 2);
                dst = Arrays.copyOf(dst, n * 2);
                data = Arrays.copyOf(data, n * 2);
            }
            src[n] = from;
            dst[n] = to;
            data[n] = d;
            n++;
        }

        int size() {
            return n;
        }

        InetAddress address() {
            return dst[0].getAddress();
        }
    }

    /**
     * Whether the link to {@code stop} is perfect: a random link draws per packet, and a batch
     * must read in the trace as if its packets went one by one. {@code leaveOk}: whether the
     * stop may be the realm's own NAT (null).
     */
    private static boolean perfect(Object stop, boolean leaveOk) {
        if (stop instanceof Host h) {
            return !h.link.random();
        }
        if (stop instanceof Nat n) {
            return !n.uplink.random();
        }
        return leaveOk;
    }

    /** {@code h} sends a batch (see {@link Batch}): as many {@link #send} calls, fewer events. */
    void send(Host h, Batch b) {
        if (h.down) {
            for (int i = 0; i < b.n; i++) {
                send(h, b.src[i], b.dst[i], b.data[i]);
            }
            return;
        }
        Object stop = h.realm.stop(b.address());
        if (h.link.random() || !perfect(stop, true)) {
            for (int i = 0; i < b.n; i++) {
                send(h, b.src[i], b.dst[i], b.data[i]);
            }
            return;
        }
        for (int i = 0; i < b.n; i++) {
            sent++;
            kinds[kind(h, b.data[i])]++;
            record('s', b.src[i], b.dst[i], b.data[i]);
            if (trace != null) {
                log(h.name + " sends " + Endpoints.format(b.src[i]) + " -> " + Endpoints.format(b.dst[i]) + " "
                        + b.data[i].length + "B #" + Integer.toHexString(Arrays.hashCode(b.data[i])));
            }
        }
        route(h.realm, stop, b, h.link.latencyNanos());
    }

    /** The batch will be in {@code realm} after {@code delay}, bound for {@code stop} (see {@link Realm#stop}). */
    private void route(Realm realm, Object stop, Batch b, long delay) {
        if (stop instanceof Host h) {
            hop(h.link, h.name, b, delay, () -> {
                for (int i = 0; i < b.n; i++) {
                    deliver(h, b.src[i], b.dst[i], b.data[i]);
                }
            }, i -> new Datagram(b.data[i]).deliver(h, b.src[i], b.dst[i]));
        } else if (stop instanceof Nat child) {
            hop(child.uplink, child.name, b, delay, () -> inbound(child, b),
                    i -> new Datagram(b.data[i]).inbound(child, b.src[i], b.dst[i]));
        } else if (delay == 0) {
            leave(realm, b);
        } else {
            later(delay, () -> leave(realm, b));
        }
    }

    /** As {@link #hop} for a batch: one event on a perfect link, else {@code single} per packet and copy. */
    private void hop(Link link, String where, Batch b, long delay, Runnable all, java.util.function.IntConsumer single) {
        if (!link.random()) {
            later(delay + link.latencyNanos(), all);
            return;
        }
        for (int i = 0; i < b.n; i++) {
            int k = i;
            hop(link, where, b.src[i], b.dst[i], delay, () -> single.accept(k));
        }
    }

    /** A batch reaches {@code nat} from outside: each packet is let in or dropped; those let in to one inside address go on together. */
    private void inbound(Nat nat, Batch b) {
        Batch in = null;
        Object stop = null;
        for (int i = 0; i < b.n; i++) {
            InetSocketAddress inside = nat.model.inbound(now, b.src[i], b.dst[i].getPort());
            if (inside == null) {
                drop(nat.name, nat.model.lastRefusal(), b.src[i], b.dst[i]);
                continue;
            }
            if (in != null && !in.address().equals(inside.getAddress())) {
                route(nat.inside, stop, in, 0);
                in = null;
            }
            if (in == null) {
                stop = nat.inside.stop(inside.getAddress());
                if (!perfect(stop, false)) {
                    route(nat.inside, b.src[i], inside, new Datagram(b.data[i]), 0);
                    continue;
                }
                in = new Batch();
            }
            in.add(b.src[i], inside, b.data[i]);
        }
        if (in != null) {
            route(nat.inside, stop, in, 0);
        }
    }

    /** A batch reaches {@code realm}'s own NAT on its way out: each packet mapped (or dropped), then on together. */
    private void leave(Realm realm, Batch b) {
        Nat nat = realm.nat;
        Object stop = nat == null ? null : nat.parent.stop(b.address());
        boolean split = nat != null && (nat.uplink.random() || !perfect(stop, true));
        Batch out = null;
        for (int i = 0; i < b.n; i++) {
            InetSocketAddress src = b.src[i];
            InetSocketAddress dst = b.dst[i];
            if (nat == null) {
                drop("internet", "no route", src, dst);
                continue;
            }
            InetSocketAddress mapped = nat.model.outbound(now, src, dst);
            touch(nat);
            if (mapped == null) {
                drop(nat.name, "ports exhausted", src, dst);
            } else if (dst.getAddress().equals(nat.publicIp)) {
                if (nat.config().hairpinning()) {
                    new Datagram(b.data[i]).inbound(nat, mapped, dst);
                } else {
                    drop(nat.name, "no hairpin", src, dst);
                }
            } else if (split) {
                crossInto(nat.uplink, nat.name, nat.parent, mapped, dst, new Datagram(b.data[i]));
            } else {
                if (out == null) {
                    out = new Batch();
                }
                out.add(mapped, dst, b.data[i]);
            }
        }
        if (out != null) {
            route(nat.parent, stop, out, nat.uplink.latencyNanos());
        }
    }

    /** {@code h} sends {@code data} from its endpoint {@code from} to {@code to}. */
    void send(Host h, InetSocketAddress from, InetSocketAddress to, byte[] data) {
        sent++;
        kinds[kind(h, data)]++;
        record('s', from, to, data);
        if (trace != null) {
            log(h.name + " sends " + Endpoints.format(from) + " -> " + Endpoints.format(to) + " " + data.length + "B #"
                    + Integer.toHexString(Arrays.hashCode(data)));
        }
        if (h.down) {
            drop(h.name, "host down", from, to);
            return;
        }
        crossInto(h.link, h.name, h.realm, from, to, new Datagram(data));
    }

    /** The packet crosses {@code link} into {@code realm}: once per copy that survives the link. */
    private void crossInto(Link link, String where, Realm realm, InetSocketAddress src, InetSocketAddress dst, Packet p) {
        if (!link.random()) {
            route(realm, src, dst, p, link.latencyNanos()); // the common perfect link: no array
            return;
        }
        long[] delays = link.delays(linkRandom);
        if (delays.length == 0) {
            drop(where, "lost", src, dst);
        }
        for (long d : delays) {
            route(realm, src, dst, p, d);
        }
    }

    /**
     * The packet will be in {@code realm} after {@code delay}: schedules its next stateful stop.
     * Routing inside a realm is a static table, so when that stop is a host or a NAT seen from
     * outside, the two link crossings become one event (half the events of a hop-by-hop walk);
     * a realm's own NAT is consulted at the very moment the packet reaches it.
     */
    private void route(Realm realm, InetSocketAddress src, InetSocketAddress dst, Packet p, long delay) {
        Object stop = realm.stop(dst.getAddress());
        if (stop instanceof Host h) {
            hop(h.link, h.name, src, dst, delay, () -> p.deliver(h, src, dst));
            return;
        }
        if (stop instanceof Nat child) {
            hop(child.uplink, child.name, src, dst, delay, () -> p.inbound(child, src, dst));
            return;
        }
        if (delay == 0) {
            leave(realm, src, dst, p);
        } else {
            later(delay, () -> leave(realm, src, dst, p));
        }
    }

    /** Schedules {@code then} at {@code delay} plus the link's delay, once per copy that survives it. */
    private void hop(Link link, String where, InetSocketAddress src, InetSocketAddress dst, long delay, Runnable then) {
        if (!link.random()) {
            later(delay + link.latencyNanos(), then);
            return;
        }
        long[] delays = link.delays(linkRandom);
        if (delays.length == 0) {
            drop(where, "lost", src, dst);
        }
        for (long d : delays) {
            later(delay + d, then);
        }
    }

    // --- TCP ------------------------------------------------------------------------------

    private final class Segment implements Packet {
        final TcpSegment seg;

        Segment(TcpSegment seg) {
            this.seg = seg;
        }

        @Override
        public void deliver(Host h, InetSocketAddress src, InetSocketAddress dst) {
            deliverTcp(h, src, dst, seg);
        }

        @Override
        public void inbound(Nat nat, InetSocketAddress src, InetSocketAddress dst) {
            InetSocketAddress inside = nat.model.inboundTcp(now, src, dst.getPort());
            if (inside == null) {
                drop(nat.name, "tcp " + nat.model.lastRefusal(), src, dst);
                if (seg.isOpening() && nat.config().tcpRst()) {
                    TcpSegment rst = TcpSegment.control(TcpSegment.RST | TcpSegment.ACK, 0, seg.seq() + 1);
                    record('S', dst, src, rst.hash());
                    if (trace != null) {
                        log(nat.name + " answers tcp " + Endpoints.format(dst) + " -> " + Endpoints.format(src) + " " + rst.describe());
                    }
                    crossInto(nat.uplink, nat.name, nat.parent, dst, src, new Segment(rst));
                }
                return;
            }
            route(nat.inside, src, inside, this, 0);
        }

        @Override
        public InetSocketAddress mapOut(Nat nat, InetSocketAddress src, InetSocketAddress dst) {
            return nat.model.outboundTcp(now, src, dst);
        }
    }

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
        if (h.down) {
            drop(h.name, "host down", from, to);
            return;
        }
        crossInto(h.link, h.name, h.realm, from, to, new Segment(seg));
    }

    private void deliverTcp(Host h, InetSocketAddress from, InetSocketAddress to, TcpSegment seg) {
        TcpStack stack = h.tcpStack();
        if (stack == null || h.down) {
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
        if (h.down) {
            drop(h.name, "host down", from, to);
            return;
        }
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
        long[] count = drops.get(reason);
        if (count == null) {
            count = new long[1];
            drops.put(reason, count);
        }
        count[0]++;
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
        h = h * 31 + (data == null ? 0 : sketch(data));
        traceHash = h;
    }

    /**
     * A cheap stand-in for the hash of a whole packet: its length, first 20 bytes and last 8.
     * Every packet here starts with a header carrying a random transaction id or nonce and ends
     * with a checksum, tag or MAC over the rest, so this tells packets apart as well.
     */
    private static int sketch(byte[] d) {
        int n = d.length;
        if (n >= 28) { // the usual case, a word at a time (a byte loop was 2% of a population run)
            int h = n;
            for (int i = 0; i < 20; i += 4) {
                h = h * 31 + (int) INT.get(d, i);
            }
            h = h * 31 + (int) INT.get(d, n - 8);
            return h * 31 + (int) INT.get(d, n - 4);
        }
        int h = d.length;
        int head = Math.min(d.length, 20);
        for (int i = 0; i < head; i++) {
            h = h * 31 + d[i];
        }
        for (int i = Math.max(head, d.length - 8); i < d.length; i++) {
            h = h * 31 + d[i];
        }
        return h;
    }

    private static final java.lang.invoke.VarHandle INT =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.BIG_ENDIAN);

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

    // --- traffic by kind ------------------------------------------------------------------

    /** Sent datagrams by kind; index: bit 15 server, bit 14 STUN (class in bits 12-13, method below), else the first byte. */
    private final long[] kinds = new long[1 << 16];

    private static int kind(Host h, byte[] d) {
        int server = h instanceof ServerHost || h instanceof BindingHost ? 1 << 15 : 0;
        if (d.length >= 20 && (d[0] & 0xC0) == 0) {
            int t = ((d[0] & 0xFF) << 8) | (d[1] & 0xFF);
            int method = (t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2);
            int cls = ((t >> 4) & 1) | ((t >> 7) & 2);
            return server | 1 << 14 | cls << 12 | method;
        }
        return server | (d.length == 0 ? 0 : d[0] & 0xFF);
    }

    /**
     * Datagrams sent so far by kind, most first: "peer BINDING request", "server 0xd2", ...
     * (STUN method and class, or the first byte of anything else).
     */
    public java.util.LinkedHashMap<String, Long> packetKinds() {
        String[] classes = {"request", "indication", "success", "error"};
        List<java.util.Map.Entry<String, Long>> list = new ArrayList<>();
        for (int i = 0; i < kinds.length; i++) {
            if (kinds[i] != 0) {
                String who = (i & 1 << 15) != 0 ? "server " : "peer ";
                String what = (i & 1 << 14) != 0
                        ? io.p2pnat.wire.StunMethod.name(i & 0xFFF) + " " + classes[(i >> 12) & 3]
                        : String.format(Locale.ROOT, "0x%02x", i & 0xFF);
                list.add(java.util.Map.entry(who + what, kinds[i]));
            }
        }
        list.sort((x, y) -> Long.compare(y.getValue(), x.getValue()));
        java.util.LinkedHashMap<String, Long> out = new java.util.LinkedHashMap<>();
        list.forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
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
        TreeMap<String, Long> out = new TreeMap<>();
        drops.forEach((k, v) -> out.put(k, v[0]));
        return out;
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
