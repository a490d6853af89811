package io.p2pnat.lab;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A running RFC 5128 topology made of real Linux NATs: one network namespace per host, Linux
 * bridges for the segments (in a separate switch namespace), nftables for the NATs.
 *
 * <p>Every NAT behaves as its {@link LabNat} says; by default that is RFC 4787's
 * well-behaved NAT: endpoint-independent, port-preserving mapping (REQ-1), address-and-port-
 * dependent filtering, unsolicited inbound packets dropped, and hairpinning where the
 * {@link Scenario} says so. Each NAT counts UDP packets on its public interface, the server counts
 * all UDP on its interface, so a test can prove where data flowed.
 *
 * <pre>{@code
 * Lab.cleanupStale();
 * try (Lab lab = Lab.create(Scenario.FIGURE_3)) {
 *     Process server = lab.start("server", List.of("my-rendezvous", "--port", "20001"));
 *     ...
 * }
 * }</pre>
 *
 * <p>A NAT's behaviour can be replaced while the lab runs ({@link #setNatBehaviour}); every RFC 4787
 * behaviour {@link LabNat} describes is available. Faults for sessions to survive: a NAT reboots
 * ({@link #rebootNat}: every mapping gone, new public ports, the same behaviour) and a client moves
 * to a new address ({@link #moveHost}).
 *
 * <p>Host names: {@code "server"}, {@code "clientA"}, {@code "clientB"}, and the NATs
 * {@code "natA"}, {@code "natB"}, {@code "natX"} where the scenario has them, and
 * {@code "impostor"} when {@link LabOptions#withImpostor} asks for one. Needs root, {@code ip},
 * {@code nft} and {@code sysctl}; see {@link #unavailableReason()}.
 */
public final class Lab implements AutoCloseable {
    private static final Pattern PACKETS = Pattern.compile("packets (\\d+)");
    private static final Pattern COUNTER = Pattern.compile("counter (\\S+) \\{\\s*packets (\\d+) bytes (\\d+)");

    private final Topology topology;
    private final Map<String, String> namespaces;
    private final String switchNamespace;
    private final List<Process> processes = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread shutdownHook;
    /** Each NAT's current behaviour: as built, until {@link #setNatBehaviour} replaces it. */
    private final Map<String, LabNat> behaviours = new java.util.concurrent.ConcurrentHashMap<>();
    /** Each NAT's boot: 0 as built or after {@link #setNatBehaviour}, one more per {@link #rebootNat}. */
    private final Map<String, Integer> boots = new java.util.concurrent.ConcurrentHashMap<>();
    /** End hosts' current addresses where {@link #moveHost} changed them. */
    private final Map<String, String> movedTo = new java.util.concurrent.ConcurrentHashMap<>();
    /** Every address each moved host has had, so a move never returns to an old one. */
    private final Map<String, Set<String>> formerAddresses = new java.util.concurrent.ConcurrentHashMap<>();
    /** The segment delay daemons; null without {@link LabOptions#withSegmentDelay} or withInternetDelay. */
    private final SegmentDelay delay;
    /** Segment loss and wire-sized packets; null without {@link LabOptions#withSegmentLoss} or withWireSizedPackets. */
    private final SegmentLoss loss;

    /**
     * A lossy segment's packet counts since the lab was built ({@link #segmentTraffic}).
     *
     * @param packets IPv4 packets the segment's bridge was handed to forward, the dropped ones included
     * @param bytes   their bytes
     * @param dropped how many of them the loss dropped
     */
    public record SegmentTraffic(long packets, long bytes, long dropped) {
        /** The share dropped, in percent (0 when nothing crossed). */
        public double lossPercent() {
            return packets == 0 ? 0 : 100.0 * dropped / packets;
        }

        /** The mean packet size in bytes (0 when nothing crossed). */
        public double bytesPerPacket() {
            return packets == 0 ? 0 : (double) bytes / packets;
        }

        /** The traffic since {@code earlier} (counts of the same segment taken before). */
        public SegmentTraffic minus(SegmentTraffic earlier) {
            return new SegmentTraffic(packets - earlier.packets, bytes - earlier.bytes, dropped - earlier.dropped);
        }
    }

    private Lab(Topology topology, String prefix, LabOptions options) {
        this.topology = topology;
        topology.nats().forEach(n -> {
            behaviours.put(n, topology.host(n).nat().behaviour());
            boots.put(n, 0);
        });
        Map<String, String> names = new LinkedHashMap<>();
        topology.hosts().keySet().forEach(h -> names.put(h, prefix + h));
        this.namespaces = Collections.unmodifiableMap(names);
        this.switchNamespace = prefix + "switch";
        Map<String, Integer> segmentDelays = options.segmentDelays();
        this.delay = segmentDelays.isEmpty() ? null : new SegmentDelay(switchNamespace, segmentDelays);
        this.loss = options.wireSizedSegments().isEmpty() ? null
                : new SegmentLoss(topology, namespaces, switchNamespace, options.segmentLosses(), options.wireSizedSegments());
        this.shutdownHook = new Thread(this::close, "p2pnat-lab-teardown-" + prefix);
    }

    /**
     * Empty if the lab can run here; otherwise a sentence why not (not Linux, not root, {@code ip},
     * {@code nft} or {@code sysctl} missing, namespaces or nftables refused). Probed once per JVM.
     * A {@link LabOptions#withInternetDelay delay} needs more ({@code iptables} and a buildable
     * {@code nfq-delay}); that is checked only when a lab asks for one, by
     * {@link #create(Scenario, LabOptions)}.
     */
    public static Optional<String> unavailableReason() {
        return LabProbe.reason();
    }

    /** {@link #create(Scenario, LabOptions)} with the scenario's default NAT behaviours. */
    public static Lab create(Scenario scenario) throws LabException {
        return create(scenario, LabOptions.defaults());
    }

    /**
     * Builds the scenario's namespaces under a namespace prefix unique to this instance, so labs
     * run side by side. If building fails, tears down what it built before throwing. The lab is
     * also torn down by a JVM shutdown hook if {@link #close()} is never called.
     *
     * <p>With a {@link LabOptions#withInternetDelay delay}, the delay daemons run (their queues
     * bound) before this returns; {@link #close()} stops them before deleting the namespaces.
     *
     * @throws LabException naming the command that failed and its stderr, or why the lab is
     *     unavailable, or that {@code options} name a NAT the scenario lacks, or why the Internet
     *     delay cannot be set up (no {@code iptables}, {@code nfq-delay} cannot be built or bound),
     *     or that {@code options} delay a segment the scenario lacks, or make one lossy (or
     *     wire-sized) that it lacks
     */
    public static Lab create(Scenario scenario, LabOptions options) throws LabException {
        Optional<String> unavailable = unavailableReason();
        if (unavailable.isPresent()) {
            throw new LabException("the lab cannot run here: " + unavailable.get());
        }
        Lab lab = new Lab(Topology.of(scenario, options), Netns.newPrefix(), options);
        Runtime.getRuntime().addShutdownHook(lab.shutdownHook);
        try {
            new LabBuild(lab.topology, lab.namespaces, lab.switchNamespace, options.failAfterStep()).run();
            if (lab.loss != null) {
                lab.loss.start();
                if ("loss".equals(options.failAfterStep())) {
                    throw new LabException("injected failure after build step 'loss'");
                }
            }
            if (lab.delay != null) {
                lab.delay.start();
                if ("delay".equals(options.failAfterStep())) {
                    throw new LabException("injected failure after build step 'delay'");
                }
            }
            return lab;
        } catch (LabException | RuntimeException | Error e) {
            lab.close();
            throw e;
        }
    }

    public Scenario scenario() {
        return topology.scenario();
    }

    /**
     * The one-way delay added to every packet crossing the Internet segment, in ms (0 = none), as
     * set by {@link LabOptions#withInternetDelay}. A round trip between two hosts on that segment
     * takes twice this (plus well under a millisecond).
     */
    public int internetDelayMs() {
        return segmentDelayMs(LabOptions.INTERNET);
    }

    /** The one-way delay of a segment (see {@link #segments()}) in ms; 0 = none. */
    public int segmentDelayMs(String segment) {
        return delay == null ? 0 : delay.delayMs(segment);
    }

    /**
     * The share of IPv4 packets dropped on the Internet segment, in percent (0 = none), as set by
     * {@link LabOptions#withInternetLoss}, each direction.
     */
    public double internetLossPercent() {
        return segmentLossPercent(LabOptions.INTERNET);
    }

    /** The loss of a segment (see {@link #segments()}) in percent; 0 = none. */
    public double segmentLossPercent(String segment) {
        return loss == null ? 0 : loss.lossPercent(segment);
    }

    /**
     * A lossy segment's counters since the lab was built: packets handed to its bridge, their
     * bytes, and how many the loss dropped. Take two readings and {@link SegmentTraffic#minus
     * subtract} for one transfer's share.
     *
     * @throws IllegalArgumentException if the segment has no {@link LabOptions#withSegmentLoss loss}
     * @throws LabException if {@code nft} fails
     */
    public SegmentTraffic segmentTraffic(String segment) throws LabException {
        if (loss == null || !loss.isLossy(segment)) {
            throw new IllegalArgumentException("segment " + segment + " has no loss (LabOptions.withSegmentLoss)");
        }
        return loss.traffic(segment);
    }

    /**
     * The scenario's segments (each a Linux bridge in the switch namespace), e.g. figure 5:
     * {@code [inet, isp, lanA, lanB]}. {@code "inet"} is the Internet in every scenario.
     */
    public Set<String> segments() {
        return Collections.unmodifiableSet(topology.segments());
    }

    /**
     * Whether the segment delays are in force: at least one was asked for and every delay daemon
     * still runs (if one died, its packets pass undelayed). False without a delay and after
     * {@link #close()}.
     */
    public boolean delayActive() {
        return delay != null && delay.isRunning();
    }

    /** The scenario's host names, in build order (server first). */
    public Set<String> hosts() {
        return namespaces.keySet();
    }

    /** The scenario's NATs: {@code natA}, {@code natB}, {@code natX} where present. */
    public List<String> nats() {
        return topology.nats();
    }

    /** A NAT's current behaviour: the one it was built with, or the last {@link #setNatBehaviour}. */
    public LabNat natBehaviour(String nat) {
        requireNat(nat);
        return behaviours.get(nat);
    }

    /**
     * Replaces a running NAT's behaviour, as if the NAT were swapped for another box mid-session.
     * The NAT's nftables table is replaced in one transaction ({@code nft -f -}), then its whole
     * conntrack table is flushed ({@code conntrack -F} in its namespace), so every flow, old or
     * new, is translated and filtered by the new behaviour from its next packet on: existing
     * mappings, learned maps, hairpin state and the sequential port counter (back to
     * {@link LabNat#SEQUENTIAL_FIRST_PORT}) are all gone. Hosts keep their sockets; a client
     * must ask the server again for its public endpoint. The new box starts at boot 0
     * ({@link #natBoot}), as if built with this behaviour: a port-preserving NAT preserves ports
     * again, even after {@link #rebootNat}.
     *
     * <p>The NAT's packet counters ({@link #natPublicUdpPacketsIn}, {@link #natPublicUdpPacketsOut},
     * {@link #natUnsolicitedDropped}) carry over with their values; packets that cross the NAT in
     * the few milliseconds between reading them and loading the new table are not counted.
     * Other NATs are untouched. Needs {@code conntrack} (conntrack-tools).
     *
     * @throws LabException if {@code conntrack} is missing (nothing changed), or nft fails (the old
     *     behaviour stays in force), or the flush fails (the new rules are in force, old flows not)
     * @throws IllegalArgumentException if {@code nat} is not one of {@link #nats()}
     */
    public synchronized void setNatBehaviour(String nat, LabNat behaviour) throws LabException {
        requireNat(nat);
        java.util.Objects.requireNonNull(behaviour, "behaviour");
        load(nat, behaviour, 0, "setNatBehaviour");
    }

    /**
     * Reboots a running NAT: its ruleset is reloaded with other port ranges and its connection
     * tracking table flushed, so every mapping is gone and the next packet of every flow gets a
     * new public port, while the NAT keeps its {@link #natBehaviour behaviour}: an
     * endpoint-independent NAT stays endpoint-independent, a sequential one sequential, and so on
     * (its filtering and hairpinning too). What changes per {@link LabNat.PortAllocation}:
     * <ul>
     *   <li>PRESERVING (endpoint-independent {@code masquerade}): the inside port is what the
     *       peers knew, so a rebooted NAT no longer keeps it. Each inside endpoint gets a random
     *       public port from a block, 10000-19999 on odd boots and 20000-29999 on even ones, and
     *       keeps it for every destination (a learned map inside endpoint → public endpoint in
     *       front of {@code masquerade to :block fully-random}). The blocks hold neither the
     *       lab's client port 1234 nor Linux's ephemeral ports 32768-60999, so the first reboot
     *       changes every public port such a NAT preserved;
     *   <li>SEQUENTIAL: the same ports {@code 40000 + k * delta} in the same order, the counter
     *       starting 250 steps further on than the previous boot's start (not at 40000 as
     *       {@link #setNatBehaviour} does): no port repeats unless a boot made more than 250 mappings;
     *   <li>RANDOM: random ports from 1024-33279 on odd boots, 33280-65535 on even ones, so
     *       consecutive reboots never share a port (after the first boot's 1024-65535, a
     *       mapping keeps its port by chance with probability 1/64512).
     * </ul>
     * Learned maps, hairpin state and filtering state go with the old ruleset; counters carry
     * over as with {@link #setNatBehaviour}. There is no down time: the new ruleset is in force
     * before this returns. Hosts keep their sockets; their peers now see other public endpoints.
     * Needs {@code conntrack} (conntrack-tools).
     *
     * @return the NAT's new boot number: 1 after the first reboot since the lab was built or its
     *     behaviour last {@linkplain #setNatBehaviour set}
     * @throws LabException as {@link #setNatBehaviour}
     * @throws IllegalArgumentException if {@code nat} is not one of {@link #nats()}
     */
    public synchronized int rebootNat(String nat) throws LabException {
        requireNat(nat);
        int boot = boots.get(nat) + 1;
        load(nat, behaviours.get(nat), boot, "rebootNat");
        return boot;
    }

    /**
     * How many times a NAT has {@linkplain #rebootNat rebooted} since the lab was built or its
     * behaviour was last {@linkplain #setNatBehaviour set}.
     */
    public int natBoot(String nat) {
        requireNat(nat);
        return boots.get(nat);
    }

    /** Swaps in the NAT's table for {@code behaviour} at {@code boot}, then flushes its conntrack. */
    private void load(String nat, LabNat behaviour, int boot, String caller) throws LabException {
        if (closed.get()) {
            throw new IllegalStateException("lab is closed");
        }
        if (Exec.find("conntrack").isEmpty()) {
            throw new LabException(caller + " needs `conntrack` (conntrack-tools) to flush " + nat
                    + "'s connection tracking table; nothing was changed");
        }
        String ns = namespace(nat);
        String counters = Exec.check(Exec.inNamespace(ns,
                List.of(Exec.tool("nft"), "list", "counters", "table", "ip", NftRules.TABLE)));
        Map<String, NftRules.Count> values = new LinkedHashMap<>();
        Matcher m = COUNTER.matcher(counters);
        while (m.find()) {
            values.put(m.group(1), new NftRules.Count(Long.parseLong(m.group(2)), Long.parseLong(m.group(3))));
        }
        String table = NftRules.nat(behaviour, topology.host(nat).mainAddress(), values, boot);
        // The new table learns nothing until the old flows are gone: its learning chain would see
        // their packets and teach its empty maps the old public ports (a reboot that kept its
        // ports in half the lab's tries, under two-way traffic).
        Exec.check(Exec.inNamespace(ns, List.of(Exec.tool("nft"), "-f", "-")),
                NftRules.replacing(NftRules.withoutLearning(table)));
        behaviours.put(nat, behaviour);
        boots.put(nat, boot);
        flushConntrack(ns);
        String learning = NftRules.learningOf(table);
        if (learning != null) {
            Exec.check(Exec.inNamespace(ns, List.of(Exec.tool("nft"), "-f", "-")), learning);
        }
    }

    /**
     * Flushes a NAT's connection tracking table twice, 20 ms apart: a packet crossing the NAT
     * while the first flush runs can confirm an entry with the old translation after it.
     */
    private static void flushConntrack(String ns) throws LabException {
        Exec.check(Exec.inNamespace(ns, List.of(Exec.tool("conntrack"), "-F")));
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Exec.check(Exec.inNamespace(ns, List.of(Exec.tool("conntrack"), "-F")));
    }

    /**
     * Moves a client behind a NAT to a new address mid-session, as if it had left for another
     * network: a new private address and, through its NAT, a new public port (the public address
     * stays: the lab has one NAT in front of each LAN). In the host's namespace the new address is
     * added on its interface (same prefix; {@code promote_secondaries} on, so it takes over when
     * the old one is deleted, without a moment with no address), the old one deleted, and the
     * default route (and any on-link host routes) put back; then the NAT in front of it is {@linkplain #rebootNat
     * rebooted}, so every mapping of the old address is gone and the new address gets new public
     * ports. The new address is the next free one in the host's prefix after its current one
     * (e.g. clientA 10.0.0.1 → 10.0.0.2), never one the host or another host of the lab holds or
     * this host held before.
     *
     * <p>What survives: UDP sockets bound to the wildcard address keep their port and send from
     * the new address from their next datagram (an unconnected socket's source is chosen per
     * datagram); a socket bound to the old address, a connected UDP socket and every TCP
     * connection lose their path (their source address no longer exists). What the peers see:
     * the host's packets come from a new public endpoint, and packets to its old public endpoint
     * are dropped by the NAT (no mapping). Other hosts behind the same NAT (figures 4 and 5) lose
     * their mappings too, as in a reboot. {@link #address} then answers the new address.
     *
     * @return the host's new address
     * @throws IllegalArgumentException if {@code host} is not an end host whose gateway is a NAT
     * @throws LabException if a command fails (see {@link #rebootNat}), or the prefix is full
     */
    public synchronized String moveHost(String host) throws LabException {
        Topology.Host h = topology.host(host);
        if (h.isNat() || h.gateway() == null || h.ifaces().size() != 1) {
            throw new IllegalArgumentException(host + " is not a client behind a NAT; those in " + scenario() + ": "
                    + topology.hosts().values().stream().filter(x -> !x.isNat() && x.gateway() != null)
                            .map(Topology.Host::name).toList());
        }
        if (closed.get()) {
            throw new IllegalStateException("lab is closed");
        }
        String nat = gatewayNat(h);
        Topology.Iface iface = h.ifaces().get(0);
        String old = address(host);
        String fresh = nextFreeAddress(host, iface, old);
        StringBuilder batch = new StringBuilder()
                .append("addr add ").append(fresh).append('/').append(iface.prefixLength()).append(" dev ").append(iface.name()).append('\n')
                .append("addr del ").append(old).append('/').append(iface.prefixLength()).append(" dev ").append(iface.name()).append('\n')
                .append("route replace default via ").append(h.gateway()).append('\n');
        for (String destination : h.onLink()) {
            batch.append("route replace ").append(destination).append(" dev ").append(iface.name()).append('\n');
        }
        // the new address is a secondary one until the old primary goes; promoted, it keeps its prefix route
        Exec.check(Exec.inNamespace(namespace(host), List.of(Exec.tool("sysctl"), "-q", "-w",
                "net.ipv4.conf." + iface.name() + ".promote_secondaries=1")));
        Exec.check(List.of(Exec.tool("ip"), "-n", namespace(host), "-batch", "-"), batch.toString());
        formerAddresses.computeIfAbsent(host, k -> java.util.concurrent.ConcurrentHashMap.newKeySet()).add(old);
        movedTo.put(host, fresh);
        rebootNat(nat);
        return fresh;
    }

    /** The NAT owning an end host's gateway address. */
    private String gatewayNat(Topology.Host h) {
        for (String nat : topology.nats()) {
            if (topology.host(nat).ifaces().stream().anyMatch(i -> i.address().equals(h.gateway()))) {
                return nat;
            }
        }
        throw new IllegalArgumentException(h.name() + "'s gateway " + h.gateway() + " is not a NAT");
    }

    /** The first address after {@code from} in the interface's prefix that nobody holds or held. */
    private String nextFreeAddress(String host, Topology.Iface iface, String from) throws LabException {
        Set<String> taken = new java.util.HashSet<>();
        for (Topology.Host other : topology.hosts().values()) {
            for (Topology.Iface i : other.ifaces()) {
                taken.add(i.address());
                taken.addAll(i.secondary());
            }
        }
        taken.addAll(movedTo.values());
        formerAddresses.values().forEach(taken::addAll);
        long mask = iface.prefixLength() == 0 ? 0 : (0xFFFFFFFFL << (32 - iface.prefixLength())) & 0xFFFFFFFFL;
        long start = ipv4(from);
        long network = start & mask;
        long size = 1L << (32 - iface.prefixLength());
        for (long k = 1; k < size; k++) {
            long candidate = network + ((start - network + k) % size);
            if (candidate == network || candidate == network + size - 1) {
                continue;
            }
            String text = ipv4(candidate);
            if (!taken.contains(text)) {
                return text;
            }
        }
        throw new LabException("no free address left in " + ipv4(network) + "/" + iface.prefixLength() + " for " + host);
    }

    private static long ipv4(String dotted) {
        long v = 0;
        for (String part : dotted.split("\\.")) {
            v = (v << 8) | Integer.parseInt(part);
        }
        return v;
    }

    private static String ipv4(long v) {
        return ((v >> 24) & 255) + "." + ((v >> 16) & 255) + "." + ((v >> 8) & 255) + "." + (v & 255);
    }

    /** The network namespace of a host (for {@code ip netns exec}). */
    public String namespace(String host) {
        topology.host(host);
        return namespaces.get(host);
    }

    /**
     * The namespace holding the segments' bridges ({@code br-inet}, {@code br-lanA}, ...), where
     * a capture ({@code tcpdump -i any}) sees every packet on every segment.
     */
    public String switchNamespace() {
        return switchNamespace;
    }

    /** Every namespace of this lab, including the switch namespace that holds the bridges. */
    public List<String> allNamespaces() {
        List<String> all = new ArrayList<>(namespaces.values());
        all.add(switchNamespace);
        return all;
    }

    /**
     * A host's main IPv4 address: server {@code 192.0.2.128}, clientA {@code 10.0.0.1}, clientB
     * {@code 10.1.1.3} ({@code 192.0.2.77} in figure 2); a NAT's public (outer) address, e.g. natA
     * {@code 192.168.1.1} in figure 5. After {@link #moveHost}, the host's new address.
     */
    public String address(String host) {
        String moved = movedTo.get(host);
        return moved != null ? moved : topology.host(host).mainAddress();
    }

    /**
     * All of a host's IPv4 addresses, {@link #address} first: the server has {@code 192.0.2.128}
     * and {@code 192.0.2.129} (a second remote IP for mapping and filtering observations; bind a
     * socket to it explicitly, or replies leave from 192.0.2.128); a NAT has its public then its
     * inside address.
     */
    public List<String> addresses(String host) {
        String moved = movedTo.get(host);
        return moved != null ? List.of(moved) : topology.host(host).addresses();
    }

    /**
     * The address the Internet sees for a host: the public address of the outermost NAT in front
     * of it ({@code 192.0.2.1} for both clients in figures 4 and 5), or its own address if none.
     */
    public String publicAddress(String client) {
        return topology.publicAddress(client);
    }

    /** A ProcessBuilder that runs {@code command} inside the host's namespace (ip netns exec). */
    public ProcessBuilder command(String host, List<String> command) {
        return new ProcessBuilder(Exec.inNamespace(namespace(host), command));
    }

    /** Starts {@code command} in the host's namespace and remembers it so {@link #close()} kills it. */
    public Process start(String host, List<String> command) throws IOException {
        if (closed.get()) {
            throw new IllegalStateException("lab is closed");
        }
        Process process = command(host, command).start();
        processes.add(process);
        return process;
    }

    /** UDP packets received on the server's interface, both addresses (counted before any filtering). */
    public long serverUdpPacketsIn() throws LabException {
        return counter("server", NftRules.HOST_UDP_IN);
    }

    /** UDP packets sent from the server's interface. */
    public long serverUdpPacketsOut() throws LabException {
        return counter("server", NftRules.HOST_UDP_OUT);
    }

    /** UDP packets that arrived on a NAT's public interface ({@code wan0}), dropped ones included. */
    public long natPublicUdpPacketsIn(String nat) throws LabException {
        requireNat(nat);
        return counter(nat, NftRules.NAT_UDP_IN);
    }

    /** UDP packets that left by a NAT's public interface ({@code wan0}), after translation. */
    public long natPublicUdpPacketsOut(String nat) throws LabException {
        requireNat(nat);
        return counter(nat, NftRules.NAT_UDP_OUT);
    }

    /** Packets (any protocol) a NAT's filtering dropped on its public side, in input or forward. */
    public long natUnsolicitedDropped(String nat) throws LabException {
        requireNat(nat);
        return counter(nat, NftRules.NAT_UNSOLICITED_DROPPED);
    }

    /** The packet count of a named nft counter in table {@code ip p2pnat_lab} of a host. */
    public long counter(String host, String counterName) throws LabException {
        String out = Exec.check(Exec.inNamespace(namespace(host),
                List.of(Exec.tool("nft"), "list", "counter", "ip", NftRules.TABLE, counterName)));
        Matcher m = PACKETS.matcher(out);
        if (!m.find()) {
            throw new LabException("no packet count in nft output for counter " + counterName + " on " + host + ": " + out);
        }
        return Long.parseLong(m.group(1));
    }

    /** The host's live nftables ruleset ({@code nft list ruleset}), for reports and debugging. */
    public String ruleset(String host) throws LabException {
        return Exec.check(Exec.inNamespace(namespace(host), List.of(Exec.tool("nft"), "list", "ruleset")));
    }

    /**
     * Kills every process in the lab's namespaces (those from {@link #start} and any other, by PID
     * via {@code ip netns pids}), stops the delay daemons (SIGTERM: they release what they hold)
     * and deletes the namespaces. Never throws; problems go to stderr. Idempotent.
     */
    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        List<Process> started;
        synchronized (processes) {
            started = new ArrayList<>(processes);
        }
        for (Process p : started) {
            p.destroyForcibly();
        }
        for (Process p : started) {
            try {
                p.waitFor(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (delay != null) {
            try {
                delay.stop();
            } catch (RuntimeException e) {
                System.err.println("p2pnat-lab teardown: stopping nfq-delay: " + e);
            }
        }
        try {
            List<String> problems = Netns.destroy(allNamespaces());
            problems.forEach(p -> System.err.println("p2pnat-lab teardown: " + p));
        } catch (RuntimeException e) {
            System.err.println("p2pnat-lab teardown: " + e);
        }
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // JVM already shutting down; the hook finds the lab closed
            }
        }
    }

    /**
     * Removes namespaces left behind by labs of JVMs that no longer run (namespaces named
     * {@code p2pnat-<pid>-...} whose PID is gone), killing processes still inside them. Call at the
     * start of a test run. Never throws.
     */
    public static void cleanupStale() {
        try {
            Netns.cleanupStale().forEach(p -> System.err.println("p2pnat-lab stale cleanup: " + p));
        } catch (RuntimeException e) {
            System.err.println("p2pnat-lab stale cleanup: " + e);
        }
    }

    @Override
    public String toString() {
        return "Lab[" + scenario().title() + (delay == null ? "" : ", one-way delays " + delay.delays())
                + (loss == null || loss.losses().isEmpty() ? "" : ", loss (1/" + LabOptions.LOSS_SCALE + ") " + loss.losses())
                + ", " + switchNamespace.replace("switch", "*") + "]";
    }

    private void requireNat(String nat) {
        if (!topology.host(nat).isNat()) {
            throw new IllegalArgumentException(nat + " is not a NAT; NATs in " + scenario() + ": " + nats());
        }
    }
}
