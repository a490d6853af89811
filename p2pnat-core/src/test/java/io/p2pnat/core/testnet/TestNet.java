package io.p2pnat.core.testnet;

import io.p2pnat.core.Endpoints;
import io.p2pnat.core.ManualClock;
import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import io.p2pnat.core.peer.PeerAgent;
import io.p2pnat.core.peer.PeerConfig;
import io.p2pnat.core.peer.PeerEvent;
import io.p2pnat.core.rendezvous.BindingResponder;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.core.rendezvous.RendezvousService;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * A tiny deterministic in-memory UDP network for tests, driven by a {@link ManualClock}.
 *
 * <p>Realms: the internet ({@code null}) and the inside of each {@link Nat}. Every node and NAT is
 * attached to one realm by a link with a one-way latency. A packet is routed hop by hop, so NAT
 * state is consulted when the packet reaches the NAT, not when it was sent: inside a realm it goes
 * to the node owning the destination endpoint, or to a child NAT owning the destination IP, or out
 * through the realm's own NAT. A NAT's mapping is endpoint-independent (the default) or
 * address-and-port-dependent (RFC 4787 §4.1), its ports preserved (the default) or random
 * (seeded); filtering is address-and-port-dependent (§5): a mapping admits a packet only from an
 * endpoint it has sent to. NATs drop unsolicited inbound packets, and loop packets to their own
 * public IP back inside only when hairpinning is on. Mappings never expire, but a NAT can be
 * {@linkplain Nat#replace replaced} mid-run (behaviour changed, all mappings flushed). A node
 * attached to the internet ({@code behind == null}) is a public host.
 *
 * <p>The event loop delivers packets in time order (ties in send order), fires each actor's
 * {@code nextTimeout()} and drains its transmits and events; nothing reads the wall clock and all
 * randomness comes from the seed.
 */
public final class TestNet {
    /** A datagram as its sender put it on its link. */
    public record Packet(long at, Node sender, InetSocketAddress from, InetSocketAddress to, byte[] data) {
    }

    /** A datagram as it reached its receiver ({@code to} is the receiver's endpoint it arrived at). */
    public record Delivery(long at, Node receiver, InetSocketAddress from, InetSocketAddress to, byte[] data) {
    }

    /** A packet the network dropped, where and why ("lost", "no route", "filtered", "no mapping", "no hairpin"). */
    public record Drop(long at, String where, String reason, InetSocketAddress from, InetSocketAddress to) {
    }

    /** An event a peer reported, with the time it was drained. */
    public record Timed(long at, PeerEvent event) {
    }

    /** Behaviour of a scripted node: called for every packet it receives. */
    @FunctionalInterface
    public interface Script {
        void onPacket(ScriptNode self, InetSocketAddress from, byte[] data);
    }

    private record Hop(long at, long seq, Runnable action) {
    }

    /** A datagram leaving a node, with the node's endpoint it leaves from. */
    private record Out(InetSocketAddress from, Transmit transmit) {
    }

    /** How a NAT maps an inside endpoint to a public one (RFC 4787 §4.1). */
    public enum Mapping {
        /** One public endpoint per inside endpoint, whatever the destination. */
        ENDPOINT_INDEPENDENT,
        /** A new public endpoint per destination endpoint ("symmetric"). */
        ADDRESS_AND_PORT_DEPENDENT
    }

    /** How a NAT picks the public port of a new mapping (RFC 4787 §4.2.1). */
    public enum PortAllocation {
        /** The inside port if free, else the next free one. */
        PRESERVING,
        /** A random free port in 1024-65535, from the network's seed. */
        RANDOM
    }

    private final ManualClock clock = new ManualClock(0);
    private final long seed;
    private final Random seeds;
    private final PriorityQueue<Hop> queue =
            new PriorityQueue<>(Comparator.comparingLong(Hop::at).thenComparingLong(Hop::seq));
    private final List<Node> nodes = new ArrayList<>();
    private final List<Nat> nats = new ArrayList<>();
    private final List<Packet> sent = new ArrayList<>();
    private final List<Drop> drops = new ArrayList<>();
    private final List<Delivery> delivered = new ArrayList<>();
    private final List<String> trace = new ArrayList<>();
    private Predicate<Packet> loss = p -> false;
    private long seq;

    public TestNet(long seed) {
        this.seed = seed;
        this.seeds = new Random(seed);
    }

    // --- topology -------------------------------------------------------------------------

    /** A NAT with public IP {@code publicIp} in realm {@code behind} (null: the internet). */
    public Nat nat(String name, String publicIp, Nat behind, Duration latency) {
        Nat n = new Nat(name, ep(publicIp + ":1").getAddress(), behind, latency.toNanos());
        nats.add(n);
        return n;
    }

    /** A peer on the internet, not behind any NAT: its first private endpoint is public. */
    public PeerNode publicPeer(PeerConfig config, Duration latency) {
        return peer(config, null, latency);
    }

    public ServerNode server(String name, InetSocketAddress at, Nat behind, Duration latency, RendezvousConfig config) {
        return add(new ServerNode(name, at, behind, latency.toNanos(), config));
    }

    /** A peer at its first private endpoint. */
    public PeerNode peer(PeerConfig config, Nat behind, Duration latency) {
        return add(new PeerNode(config, behind, latency.toNanos()));
    }

    public ScriptNode script(String name, InetSocketAddress at, Nat behind, Duration latency, Script script) {
        return add(new ScriptNode(name, at, behind, latency.toNanos(), script));
    }

    private <N extends Node> N add(N n) {
        for (Node other : nodes) {
            if (other.realm == n.realm && other.address.equals(n.address)) {
                throw new IllegalArgumentException(n.name + ": " + Endpoints.format(n.address) + " is taken by " + other.name);
            }
        }
        nodes.add(n);
        return n;
    }

    /** Drops every packet (as sent by its node) the predicate accepts; see {@link #first}. */
    public void loseIf(Predicate<Packet> p) {
        loss = p;
    }

    /** A predicate accepting only the first {@code n} packets {@code which} accepts. */
    public static Predicate<Packet> first(int n, Predicate<Packet> which) {
        int[] left = {n};
        return p -> which.test(p) && left[0]-- > 0;
    }

    public static InetSocketAddress ep(String text) {
        return Endpoints.parse(text, 0); // IP literals only: never a DNS lookup
    }

    public static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }

    // --- driving --------------------------------------------------------------------------

    public long now() {
        return clock.nanoTime();
    }

    public void runFor(Duration d) {
        run(() -> false, now() + d.toNanos());
    }

    /** Runs until {@code done} holds (checked between steps) or {@code max} has passed; returns {@code done}. */
    public boolean runUntil(BooleanSupplier done, Duration max) {
        return run(done, now() + max.toNanos());
    }

    /** Runs {@code action} (e.g. an application's send, a NAT change) {@code delay} from now, inside the loop. */
    public void schedule(Duration delay, Runnable action) {
        later(delay.toNanos(), action);
    }

    /** Runs {@code action} every {@code period}, first at now + {@code period}, while it returns true. */
    public void every(Duration period, BooleanSupplier action) {
        later(period.toNanos(), () -> {
            if (action.getAsBoolean()) {
                every(period, action);
            }
        });
    }

    /** Hands {@code data} to {@code to} now as if it came from {@code from} (a spoofed or injected packet). */
    public void inject(Node to, InetSocketAddress from, byte[] data) {
        deliver(to, from, to.address, data.clone());
        drain();
    }

    private boolean run(BooleanSupplier done, long deadline) {
        int stepsAtSameTime = 0;
        long lastTime = -1;
        while (true) {
            drain();
            if (done.getAsBoolean()) {
                return true;
            }
            long timer = Timers.NEVER;
            for (Node n : nodes) {
                timer = Math.min(timer, n.nextTimeout());
            }
            Hop hop = queue.peek();
            long next = Math.min(timer, hop == null ? Timers.NEVER : hop.at);
            if (next > deadline) {
                clock.set(Math.max(deadline, now()));
                return done.getAsBoolean();
            }
            clock.set(Math.max(next, now()));
            stepsAtSameTime = now() == lastTime ? stepsAtSameTime + 1 : 0;
            lastTime = now();
            if (stepsAtSameTime > 100_000) {
                throw new IllegalStateException("livelock at t=" + Timers.millis(now()) + " ms");
            }
            if (hop != null && hop.at <= timer) {
                queue.poll().action.run();
            } else {
                for (Node n : nodes) {
                    if (n.nextTimeout() <= now()) {
                        n.timeout(now());
                    }
                }
            }
        }
    }

    private void drain() {
        for (Node n : nodes) {
            for (Out o = n.pollOut(); o != null; o = n.pollOut()) {
                Transmit t = o.transmit();
                Packet p = new Packet(now(), n, o.from(), t.destination(), t.payload());
                sent.add(p);
                log(n.name + " sends " + Endpoints.format(p.to) + " " + p.data.length + "B #"
                        + Integer.toHexString(Arrays.hashCode(p.data)));
                if (loss.test(p)) {
                    drop(n.name, "lost", p.from, p.to);
                } else {
                    later(n.latency, () -> arrive(n.realm, p.from, p.to, p.data));
                }
            }
            n.drainEvents(now());
        }
    }

    // --- routing --------------------------------------------------------------------------

    private void later(long delay, Runnable action) {
        queue.add(new Hop(now() + delay, seq++, action));
    }

    private void arrive(Nat realm, InetSocketAddress src, InetSocketAddress dst, byte[] data) {
        for (Node n : nodes) {
            if (n.realm == realm && n.owns(dst)) {
                later(n.latency, () -> deliver(n, src, dst, data));
                return;
            }
        }
        for (Nat c : nats) {
            if (c.parent == realm && c.publicIp.equals(dst.getAddress())) {
                later(c.latency, () -> inbound(c, src, dst, data));
                return;
            }
        }
        boolean local = nodes.stream().anyMatch(n -> n.realm == realm && n.address.getAddress().equals(dst.getAddress()));
        if (realm == null || local) {
            drop(realm == null ? "internet" : realm.name, "no route", src, dst);
            return;
        }
        // Leaving the realm through its NAT.
        InetSocketAddress mapped = realm.map(src, dst);
        if (dst.getAddress().equals(realm.publicIp)) {
            if (realm.hairpin) {
                inbound(realm, mapped, dst, data);
            } else {
                drop(realm.name, "no hairpin", src, dst);
            }
            return;
        }
        later(realm.latency, () -> arrive(realm.parent, mapped, dst, data));
    }

    private void inbound(Nat nat, InetSocketAddress src, InetSocketAddress dst, byte[] data) {
        Nat.Binding b = nat.inbound.get(dst.getPort());
        if (b == null) {
            drop(nat.name, "no mapping", src, dst);
        } else if (!b.permits.contains(src)) {
            drop(nat.name, "filtered", src, dst);
        } else {
            arrive(nat, src, b.inside, data);
        }
    }

    private void deliver(Node n, InetSocketAddress from, InetSocketAddress to, byte[] data) {
        log(n.name + " receives " + Endpoints.format(from) + " " + data.length + "B");
        delivered.add(new Delivery(now(), n, from, to, data));
        n.input(now(), from, to, data);
    }

    private void drop(String where, String reason, InetSocketAddress from, InetSocketAddress to) {
        drops.add(new Drop(now(), where, reason, from, to));
        log("drop at " + where + " (" + reason + ") " + Endpoints.format(from) + " -> " + Endpoints.format(to));
    }

    private void log(String line) {
        trace.add(String.format(java.util.Locale.ROOT, "%.3f %s", now() / 1e6, line));
    }

    // --- observation ----------------------------------------------------------------------

    /** Every packet sent so far, lost or not. */
    public List<Packet> sent() {
        return List.copyOf(sent);
    }

    public List<Drop> drops() {
        return List.copyOf(drops);
    }

    /** Every datagram handed to a node so far (injected ones too), in order. */
    public List<Delivery> delivered() {
        return List.copyOf(delivered);
    }

    /** Sends, receipts, drops and peer events with their times, for determinism checks and failure messages. */
    public List<String> trace() {
        return List.copyOf(trace);
    }

    // --- NATs and nodes -------------------------------------------------------------------

    /**
     * A NAT: endpoint-independent or address-and-port-dependent mapping, preserved or random ports,
     * address-and-port-dependent filtering (RFC 4787 terms). Defaults: EIM, port preservation.
     */
    public final class Nat {
        /** One mapping: an inside endpoint's public port, and the remote endpoints it has sent to. */
        private static final class Binding {
            final InetSocketAddress inside;
            final InetSocketAddress external;
            final Set<InetSocketAddress> permits = new HashSet<>();

            Binding(InetSocketAddress inside, InetSocketAddress external) {
                this.inside = inside;
                this.external = external;
            }
        }

        public final String name;
        public final InetAddress publicIp;
        final Nat parent;
        final long latency;
        boolean hairpin;
        private Mapping mapping = Mapping.ENDPOINT_INDEPENDENT;
        private PortAllocation allocation = PortAllocation.PRESERVING;
        private final Random ports;
        /** Key: [inside] for EIM, [inside, destination] for APDM. */
        private final Map<List<InetSocketAddress>, Binding> outbound = new HashMap<>();
        private final Map<Integer, Binding> inbound = new HashMap<>();

        private Nat(String name, InetAddress publicIp, Nat parent, long latency) {
            this.name = name;
            this.publicIp = publicIp;
            this.parent = parent;
            this.latency = latency;
            this.ports = new Random(seed * 31 + name.hashCode());
        }

        public Nat hairpin(boolean on) {
            hairpin = on;
            return this;
        }

        /** Sets the mapping behaviour and port allocation for mappings made from now on. */
        public Nat behaviour(Mapping m, PortAllocation a) {
            mapping = m;
            allocation = a;
            return this;
        }

        /** Address-and-port-dependent mapping with random ports: RFC 5128 figure 1's "symmetric" NAT. */
        public Nat symmetric() {
            return behaviour(Mapping.ADDRESS_AND_PORT_DEPENDENT, PortAllocation.RANDOM);
        }

        /**
         * The NAT is replaced (or rebooted) now by one behaving as given: every mapping is
         * forgotten, so packets to old public endpoints die and the next packet out gets a new one.
         */
        public Nat replace(Mapping m, PortAllocation a) {
            behaviour(m, a);
            outbound.clear();
            inbound.clear();
            log(name + " replaced: " + m + ", " + a + " ports, mappings flushed");
            return this;
        }

        /** Forgets every mapping (a rebinding NAT) and keeps the behaviour. */
        public Nat flush() {
            return replace(mapping, allocation);
        }

        public Mapping mapping() {
            return mapping;
        }

        /** The public endpoints currently mapped for {@code inside}, in no particular order. */
        public List<InetSocketAddress> mappingsOf(InetSocketAddress inside) {
            return outbound.values().stream().filter(b -> b.inside.equals(inside)).map(b -> b.external).toList();
        }

        private InetSocketAddress map(InetSocketAddress inside, InetSocketAddress dst) {
            List<InetSocketAddress> key = mapping == Mapping.ENDPOINT_INDEPENDENT ? List.of(inside) : List.of(inside, dst);
            Binding b = outbound.computeIfAbsent(key, k -> {
                int port = allocation == PortAllocation.PRESERVING ? inside.getPort() : 1024 + ports.nextInt(65536 - 1024);
                while (inbound.containsKey(port)) {
                    port = allocation == PortAllocation.PRESERVING ? port % 65535 + 1 : 1024 + ports.nextInt(65536 - 1024);
                }
                Binding fresh = new Binding(inside, new InetSocketAddress(publicIp, port));
                inbound.put(port, fresh);
                return fresh;
            });
            b.permits.add(dst);
            return b.external;
        }
    }

    /** Something attached to a realm at one endpoint. */
    public abstract class Node {
        public final String name;
        public final InetSocketAddress address;
        final Nat realm;
        final long latency;

        Node(String name, InetSocketAddress address, Nat realm, long latency) {
            this.name = name;
            this.address = address;
            this.realm = realm;
            this.latency = latency;
        }

        /** Whether datagrams to {@code a} (in this node's realm) are for this node. */
        boolean owns(InetSocketAddress a) {
            return address.equals(a);
        }

        abstract void input(long now, InetSocketAddress from, byte[] data);

        /** A datagram that arrived at {@code to}, one of the endpoints this node {@link #owns}. */
        void input(long now, InetSocketAddress from, InetSocketAddress to, byte[] data) {
            input(now, from, data);
        }

        abstract void timeout(long now);

        abstract long nextTimeout();

        abstract Transmit poll();

        /** The next datagram to send and the endpoint it leaves from. */
        Out pollOut() {
            Transmit t = poll();
            return t == null ? null : new Out(address, t);
        }

        void drainEvents(long now) {
        }
    }

    public final class ServerNode extends Node {
        private final RendezvousConfig config;
        private RendezvousService service;
        private InetSocketAddress alternate;
        private final ArrayDeque<Transmit> alternateOut = new ArrayDeque<>();
        private final io.p2pnat.core.SourceBudget alternateBudget = new io.p2pnat.core.SourceBudget();

        ServerNode(String name, InetSocketAddress at, Nat realm, long latency, RendezvousConfig config) {
            super(name, at, realm, latency);
            this.config = config;
            restart();
        }

        public RendezvousService service() {
            return service;
        }

        /** Replaces the service with a fresh one: all registrations are lost, as in a process restart. */
        public void restart() {
            service = new RendezvousService(config, new Random(seeds.nextLong()));
            if (alternate != null) {
                service.setAlternatePort(alternate.getPort());
            }
        }

        /**
         * Also answers STUN Binding on {@code port} of the same address, statelessly, as the real
         * server's alternate port does; the service tells registering peers about it, so they can
         * classify their NAT's mapping (RFC 4787 §4.1).
         */
        public ServerNode alternatePort(int port) {
            alternate = new InetSocketAddress(address.getAddress(), port);
            service.setAlternatePort(port);
            return this;
        }

        @Override boolean owns(InetSocketAddress a) {
            return super.owns(a) || a.equals(alternate);
        }

        @Override void input(long now, InetSocketAddress from, InetSocketAddress to, byte[] data) {
            if (to.equals(alternate)) {
                byte[] answer = BindingResponder.answer(now, alternateBudget, from, data, 0, data.length);
                if (answer != null) {
                    alternateOut.add(new Transmit(from, answer));
                }
            } else {
                input(now, from, data);
            }
        }

        @Override Out pollOut() {
            Out o = super.pollOut();
            if (o == null && !alternateOut.isEmpty()) {
                o = new Out(alternate, alternateOut.poll());
            }
            return o;
        }

        @Override void input(long now, InetSocketAddress from, byte[] data) { service.handleInput(now, from, data, 0, data.length); }
        @Override void timeout(long now) { service.handleTimeout(now); }
        @Override long nextTimeout() { return service.nextTimeout(); }
        @Override Transmit poll() { return service.pollTransmit(); }
    }

    public final class PeerNode extends Node {
        public final PeerAgent agent;
        private final List<Timed> events = new ArrayList<>();

        PeerNode(PeerConfig config, Nat realm, long latency) {
            super(config.peerId(), config.privateEndpoints().get(0), realm, latency);
            this.agent = new PeerAgent(config, new Random(seeds.nextLong()));
        }

        /** Starts registration now. */
        public PeerNode start() {
            agent.start(now());
            drain();
            return this;
        }

        public List<Timed> events() {
            return List.copyOf(events);
        }

        public <T extends PeerEvent> List<T> events(Class<T> type) {
            return events.stream().map(Timed::event).filter(type::isInstance).map(type::cast).toList();
        }

        /** The first event of this type with its time, or null. */
        public Timed first(Class<? extends PeerEvent> type) {
            return events.stream().filter(t -> type.isInstance(t.event)).findFirst().orElse(null);
        }

        public boolean has(Class<? extends PeerEvent> type) {
            return first(type) != null;
        }

        @Override void input(long now, InetSocketAddress from, byte[] data) { agent.handleInput(now, from, data, 0, data.length); }
        @Override void timeout(long now) { agent.handleTimeout(now); }
        @Override long nextTimeout() { return agent.nextTimeout(); }
        @Override Transmit poll() { return agent.pollTransmit(); }

        @Override void drainEvents(long now) {
            for (PeerEvent e = agent.pollEvent(); e != null; e = agent.pollEvent()) {
                events.add(new Timed(now, e));
                log(name + " event " + e.getClass().getSimpleName() + " " + describe(e));
            }
        }

        private String describe(PeerEvent e) {
            return e instanceof PeerEvent.Data d ? d.sessionId() + " " + Arrays.toString(d.payload()) : e.toString();
        }
    }

    /** A node whose behaviour the test writes: impostors, attackers, dumb hosts. */
    public final class ScriptNode extends Node {
        private final Script script;
        private final ArrayDeque<Transmit> out = new ArrayDeque<>();
        private final List<Packet> received = new ArrayList<>();

        ScriptNode(String name, InetSocketAddress at, Nat realm, long latency, Script script) {
            super(name, at, realm, latency);
            this.script = script;
        }

        /** Queues a datagram; it leaves at the next step of the loop. */
        public void send(InetSocketAddress to, byte[] data) {
            out.add(new Transmit(to, data.clone()));
        }

        public List<Packet> received() {
            return List.copyOf(received);
        }

        @Override void input(long now, InetSocketAddress from, byte[] data) {
            received.add(new Packet(now, this, from, address, data));
            script.onPacket(this, from, data);
        }

        @Override void timeout(long now) { }

        @Override long nextTimeout() { return Timers.NEVER; }
        @Override Transmit poll() { return out.poll(); }
    }
}
