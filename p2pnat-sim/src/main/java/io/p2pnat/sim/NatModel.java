package io.p2pnat.sim;

import io.p2pnat.sim.NatConfig.Allocation;
import io.p2pnat.sim.NatConfig.Behaviour;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

/**
 * The translation state of one NAT (RFC 4787), as a pure state machine: no clock, no network.
 * {@link #outbound} maps an inside source toward a destination and opens the filter for it;
 * {@link #inbound} says where (if anywhere) a packet to one of the public ports goes.
 *
 * <p>Mapping (§4.1): one public port per inside endpoint (EIM), per inside endpoint and
 * destination address (ADM), or per inside endpoint and destination endpoint (APDM). Filtering
 * (§5): a mapping admits any outside endpoint once used (EIF), or only addresses (ADF) or
 * endpoints (APDF) it has sent to, each permission expiring on its own as a conntrack entry
 * does (unanswered: the unreplied timeout after the last packet to it; answered: the mapping
 * timeout). Port assignment (§4.2.1): preserving, sequential with a
 * NAT-wide counter and delta, or random. A mapping lives {@code mappingTimeout} after its last
 * outbound packet, a UDP mapping nothing came back through only {@code unrepliedTimeout} (as
 * Linux conntrack), both measured from its last
 * outbound packet (§4.3; outbound refresh only, REQ-6's minimum). Other hosts behind the NAT
 * ("port stealing") make new mappings at a Poisson rate; they consume ports from the same
 * allocator, so a sequential NAT's next port moves on between two of our allocations.
 *
 * <p>All randomness comes from the {@link Random} handed in, so a model is reproducible.
 */
public final class NatModel {
    static final int LOW_PORT = 1024;
    static final int PORTS = 65536 - LOW_PORT;
    private static final int MAX_STOLEN_PER_ALLOCATION = 4096;

    /** Why an inbound packet was refused. */
    public static final String NO_MAPPING = "no mapping";
    public static final String FILTERED = "filtered";

    /**
     * One mapping and its filter permissions (it is its own {@link Permits}: one object per
     * mapping, as a population run holds millions of them, most with a single permission).
     */
    private static final class Binding extends Permits {
        /**
         * The inside address; null for another host's mapping (port stealing). The endpoint is
         * not kept as an object: a birthday spray makes 256 mappings from 256 sockets, and a
         * population run holds millions of them.
         */
        final InetAddress insideIp;
        /** The inside endpoint, packed ({@link #endpointKey}): its low 16 bits are the port. */
        final long insideKey;
        final long destinationKey;
        final int port;
        final boolean tcp;
        /** Whether filtering needs permissions (not endpoint-independent). */
        final boolean filtered;
        long lastUsed;
        /** Something came back in through it (Linux then keeps it the full timeout). */
        boolean replied;

        Binding(InetAddress insideIp, long insideKey, long destinationKey, int port, long now, boolean filtered,
                boolean tcp) {
            this.insideIp = insideIp;
            this.insideKey = insideKey;
            this.destinationKey = destinationKey;
            this.port = port;
            this.tcp = tcp;
            this.filtered = filtered;
            this.lastUsed = now;
        }

        InetSocketAddress inside() {
            return new InetSocketAddress(insideIp, (int) (insideKey & 0xFFFF));
        }
    }

    private final InetAddress publicIp;
    private final Random random;
    private NatConfig config;
    /** The config's timeouts in nanoseconds (a Duration conversion per packet showed in profiles). */
    private long unrepliedNanos;
    private long mappingNanos;
    /** Mappings by (inside endpoint, destination as the mapping behaviour sees it), packed. */
    private final PairMap<Binding> outbound = new PairMap<>();
    private final IntMap<Binding> byPort = new IntMap<>();
    /** TCP mappings: their own port space (as Linux conntrack keeps per protocol), the same allocator. */
    private final PairMap<Binding> tcpOutbound = new PairMap<>();
    private final IntMap<Binding> tcpByPort = new IntMap<>();
    private int nextSequential;
    /** When a mapping may first have expired: the driver calls {@link #sweep(long)} then. */
    private long sweepDue = Long.MAX_VALUE;
    private long lastAllocation = Long.MIN_VALUE;
    /** Public ports our hosts held when the NAT last rebooted: not given again until its next reboot (null: never rebooted). */
    private Set<Integer> retired;
    private long reboots;
    private long allocations;
    private long stolen;

    public NatModel(InetAddress publicIp, NatConfig config, Random random) {
        this.publicIp = publicIp;
        this.config = config;
        this.unrepliedNanos = config.unrepliedTimeout().toNanos();
        this.mappingNanos = config.mappingTimeout().toNanos();
        this.random = random;
        this.nextSequential = LOW_PORT + 8976 + random.nextInt(40_000);
    }

    public NatConfig config() {
        return config;
    }

    public InetAddress publicIp() {
        return publicIp;
    }

    /** The NAT is replaced (or rebooted) by one behaving as {@code c}: every mapping is forgotten. */
    public void replace(NatConfig c) {
        config = c;
        unrepliedNanos = c.unrepliedTimeout().toNanos();
        mappingNanos = c.mappingTimeout().toNanos();
        outbound.clear();
        byPort.clear();
        tcpOutbound.clear();
        tcpByPort.clear();
    }

    /**
     * The NAT reboots (a power cycle, a crash, a carrier-grade NAT's failover): every mapping and
     * filter permission is forgotten (RFC 4787 §4.3: the sessions through it are gone) and the
     * behaviour stays. New mappings get other public ports than those held before, as a rebooted
     * NAT's allocator starts elsewhere: a port-preserving NAT finds its inside ports taken and
     * falls back to a random free port (§4.2.1), a sequential one goes on from its counter.
     */
    public void reboot() {
        Set<Integer> held = new HashSet<>();
        outbound.forEach(b -> held.add(b.port));
        tcpOutbound.forEach(b -> held.add(b.port));
        replace(config);
        retired = held.isEmpty() ? null : held;
        reboots++;
    }

    /** How often the NAT rebooted. */
    public long reboots() {
        return reboots;
    }

    /**
     * A packet from {@code inside} to {@code destination} leaves: returns the public source
     * endpoint it gets, or null when no port is free.
     */
    public InetSocketAddress outbound(long now, InetSocketAddress inside, InetSocketAddress destination) {
        return outbound(now, inside, destination, false);
    }

    /**
     * A TCP segment from {@code inside} to {@code destination} leaves: as {@link #outbound} for
     * TCP's own mappings (the segment that makes a mapping is the SYN; filtering permissions are
     * per mapping, as for UDP). Returns null when no port is free.
     */
    public InetSocketAddress outboundTcp(long now, InetSocketAddress inside, InetSocketAddress destination) {
        return outbound(now, inside, destination, true);
    }

    private InetSocketAddress outbound(long now, InetSocketAddress inside, InetSocketAddress destination, boolean tcp) {
        PairMap<Binding> outbound = tcp ? tcpOutbound : this.outbound;
        IntMap<Binding> byPort = tcp ? tcpByPort : this.byPort;
        long insideKey = endpointKey(inside);
        long destinationKey = switch (config.mapping()) {
            case ENDPOINT_INDEPENDENT -> 0;
            case ADDRESS_DEPENDENT -> endpointKey(destination) | 0xFFFF; // any port
            case ADDRESS_AND_PORT_DEPENDENT -> endpointKey(destination);
        };
        Binding b = outbound.get(insideKey, destinationKey);
        if (b != null && expired(b, now)) {
            remove(b);
            b = null;
        }
        if (b == null) {
            steal(now);
            int port = allocate(now, inside.getPort(), byPort);
            if (port < 0) {
                return null;
            }
            b = new Binding(inside.getAddress(), insideKey, destinationKey, port, now,
                    config.filtering() != Behaviour.ENDPOINT_INDEPENDENT, tcp);
            sweepDue = Math.min(sweepDue, now + timeout(b));
            outbound.put(insideKey, destinationKey, b);
            byPort.put(port, b);
            allocations++;
        }
        b.lastUsed = now;
        if (b.filtered) {
            b.add(destination, config.filtering() != Behaviour.ADDRESS_DEPENDENT, now);
        }
        return new InetSocketAddress(publicIp, b.port);
    }

    /**
     * An IPv4 endpoint packed in 48 bits (address, port), with bit 48 set so no key is 0 (the
     * endpoint-independent destination).
     */
    private static long endpointKey(InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        if (!(ip instanceof java.net.Inet4Address)) {
            throw new IllegalArgumentException("the simulator's NATs translate IPv4 only, not " + a);
        }
        // Inet4Address.hashCode() is its address as an int (getAddress() would copy an array).
        return 1L << 48 | (ip.hashCode() & 0xFFFFFFFFL) << 16 | a.getPort();
    }

    /**
     * Where a packet from outside endpoint {@code source} to public port {@code port} goes: the
     * inside endpoint, or null (see {@link #refusal}).
     */
    public InetSocketAddress inbound(long now, InetSocketAddress source, int port) {
        return inbound(now, source, port, false);
    }

    /** As {@link #inbound}, for a TCP segment (TCP's own mappings). */
    public InetSocketAddress inboundTcp(long now, InetSocketAddress source, int port) {
        return inbound(now, source, port, true);
    }

    private InetSocketAddress inbound(long now, InetSocketAddress source, int port, boolean tcp) {
        Binding b = live(now, port, tcp);
        if (b == null || b.insideIp == null) {
            lastRefusal = NO_MAPPING;
            return null;
        }
        if (!admits(b, source, now)) {
            lastRefusal = FILTERED;
            return null;
        }
        b.replied = true;
        return b.inside();
    }

    /** Why the last refused {@link #inbound} (or {@link #inboundTcp}) call refused, without a second lookup. */
    String lastRefusal() {
        return lastRefusal;
    }

    private String lastRefusal = NO_MAPPING;

    /** Why {@link #inbound} refused: {@link #NO_MAPPING} or {@link #FILTERED}. */
    public String refusal(long now, InetSocketAddress source, int port) {
        return refusal(now, source, port, false);
    }

    /** As {@link #refusal}, for a TCP segment. */
    public String refusalTcp(long now, InetSocketAddress source, int port) {
        return refusal(now, source, port, true);
    }

    private String refusal(long now, InetSocketAddress source, int port, boolean tcp) {
        Binding b = live(now, port, tcp);
        return b == null || b.insideIp == null ? NO_MAPPING : FILTERED;
    }

    private Binding live(long now, int port, boolean tcp) {
        Binding b = (tcp ? tcpByPort : byPort).get(port);
        if (b != null && expired(b, now)) {
            remove(b);
            return null;
        }
        return b;
    }

    private boolean admits(Binding b, InetSocketAddress source, long now) {
        long unreplied = b.tcp ? mappingNanos : unrepliedNanos;
        long replied = mappingNanos;
        return switch (config.filtering()) {
            case ENDPOINT_INDEPENDENT -> true;
            case ADDRESS_DEPENDENT -> b.admits(source, false, now, unreplied, replied);
            case ADDRESS_AND_PORT_DEPENDENT -> b.admits(source, true, now, unreplied, replied);
        };
    }

    private boolean expired(Binding b, long now) {
        return now - b.lastUsed >= timeout(b);
    }

    private long timeout(Binding b) {
        return b.tcp || b.replied ? mappingNanos : unrepliedNanos;
    }

    /**
     * When some mapping may have expired ({@link Long#MAX_VALUE}: none held). Expired mappings
     * are refused whenever met; sweeping them at this time keeps a NAT that opened many (a
     * birthday spray) from holding them in memory for the rest of a long run.
     */
    public long sweepDue() {
        return sweepDue;
    }

    /** Forgets every expired mapping, and computes the next {@link #sweepDue()}. */
    public void sweep(long now) {
        sweep(now, byPort);
        sweep(now, tcpByPort);
        // Filter permissions expire one by one, as conntrack entries do.
        long unreplied = unrepliedNanos;
        long replied = mappingNanos;
        long[] next = {Long.MAX_VALUE};
        outbound.forEach(b -> {
            if (b.filtered) {
                b.sweep(now, unreplied, replied);
            }
            next[0] = Math.min(next[0], b.lastUsed + timeout(b));
        });
        tcpOutbound.forEach(b -> next[0] = Math.min(next[0], b.lastUsed + timeout(b)));
        // At most one sweep per quarter of the shortest timeout: a NAT opening mappings at a
        // steady trickle would otherwise be swept (a full pass) for every new one.
        sweepDue = next[0] == Long.MAX_VALUE ? next[0] : Math.max(next[0], now + unrepliedNanos / 4);
    }

    private void remove(Binding b) {
        (b.tcp ? tcpByPort : byPort).remove(b.port);
        if (b.insideIp != null) {
            (b.tcp ? tcpOutbound : outbound).remove(b.insideKey, b.destinationKey);
        }
    }

    /** Mappings made by other hosts behind us since our last allocation (Poisson, from our seed). */
    private void steal(long now) {
        if (config.stealPerSecond() <= 0) {
            lastAllocation = now;
            return;
        }
        if (lastAllocation != Long.MIN_VALUE) {
            double mean = config.stealPerSecond() * (now - lastAllocation) / 1e9;
            int k = Math.min(MAX_STOLEN_PER_ALLOCATION, poisson(mean));
            for (int i = 0; i < k; i++) {
                int port = allocate(now, LOW_PORT + random.nextInt(PORTS), byPort);
                if (port < 0) {
                    break;
                }
                Binding phantom = new Binding(null, 0, 0, port, now, false, false);
                phantom.replied = true; // another host's mapping, in use
                byPort.put(port, phantom);
                stolen++;
            }
        }
        lastAllocation = now;
    }

    private int poisson(double mean) {
        if (mean <= 0) {
            return 0;
        }
        if (mean > 30) {
            return (int) Math.max(0, Math.round(mean + Math.sqrt(mean) * random.nextGaussian()));
        }
        double limit = Math.exp(-mean);
        double p = random.nextDouble();
        int k = 0;
        while (p > limit) {
            p *= random.nextDouble();
            k++;
        }
        return k;
    }

    private boolean free(long now, int port, IntMap<Binding> byPort) {
        Binding b = byPort.get(port);
        if (b != null && expired(b, now)) {
            remove(b);
            return retired == null || !retired.contains(port);
        }
        return b == null && (retired == null || !retired.contains(port));
    }

    private int allocate(long now, int preferred, IntMap<Binding> byPort) {
        if (byPort.size() >= PORTS) {
            sweep(now, byPort);
            if (byPort.size() >= PORTS) {
                return -1;
            }
        }
        switch (config.allocation()) {
            case PRESERVING -> {
                if (preferred >= LOW_PORT && free(now, preferred, byPort)) {
                    return preferred;
                }
                return randomFree(now, byPort);
            }
            case SEQUENTIAL -> {
                for (int tries = 0; tries < PORTS; tries++) {
                    int port = nextSequential;
                    nextSequential = wrap(nextSequential + config.delta());
                    if (free(now, port, byPort)) {
                        return port;
                    }
                }
                return -1;
            }
            default -> {
                return randomFree(now, byPort);
            }
        }
    }

    private static int wrap(int port) {
        return Math.floorMod(port - LOW_PORT, PORTS) + LOW_PORT;
    }

    private int randomFree(long now, IntMap<Binding> byPort) {
        for (int tries = 0; tries < 64; tries++) {
            int port = LOW_PORT + random.nextInt(PORTS);
            if (free(now, port, byPort)) {
                return port;
            }
        }
        int start = LOW_PORT + random.nextInt(PORTS);
        for (int i = 0; i < PORTS; i++) {
            int port = wrap(start + i);
            if (free(now, port, byPort)) {
                return port;
            }
        }
        return -1;
    }

    private void sweep(long now, IntMap<Binding> byPort) {
        byPort.removeIf(b -> {
            if (!expired(b, now)) {
                return false;
            }
            if (b.insideIp != null) {
                (b.tcp ? tcpOutbound : outbound).remove(b.insideKey, b.destinationKey);
            }
            return true;
        });
    }

    /** Mappings held (ours and other hosts'), for stats. */
    public int size() {
        return byPort.size();
    }

    /** Mappings made for our hosts so far. */
    public long allocations() {
        return allocations;
    }

    /** Mappings other hosts behind the NAT took so far. */
    public long stolen() {
        return stolen;
    }

    /** The public ports currently mapped for {@code inside}. */
    public Set<Integer> portsOf(InetSocketAddress inside) {
        Set<Integer> ports = new HashSet<>();
        long key = endpointKey(inside);
        outbound.forEach(b -> {
            if (b.insideKey == key) {
                ports.add(b.port);
            }
        });
        return ports;
    }
}
