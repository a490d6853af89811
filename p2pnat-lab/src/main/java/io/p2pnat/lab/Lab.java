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
 * behaviour {@link LabNat} describes is available.
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
    /** The segment delay daemons; null without {@link LabOptions#withSegmentDelay} or withInternetDelay. */
    private final SegmentDelay delay;

    private Lab(Topology topology, String prefix, Map<String, Integer> segmentDelays) {
        this.topology = topology;
        topology.nats().forEach(n -> behaviours.put(n, topology.host(n).nat().behaviour()));
        Map<String, String> names = new LinkedHashMap<>();
        topology.hosts().keySet().forEach(h -> names.put(h, prefix + h));
        this.namespaces = Collections.unmodifiableMap(names);
        this.switchNamespace = prefix + "switch";
        this.delay = segmentDelays.isEmpty() ? null : new SegmentDelay(switchNamespace, segmentDelays);
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
     *     or that {@code options} delay a segment the scenario lacks
     */
    public static Lab create(Scenario scenario, LabOptions options) throws LabException {
        Optional<String> unavailable = unavailableReason();
        if (unavailable.isPresent()) {
            throw new LabException("the lab cannot run here: " + unavailable.get());
        }
        Lab lab = new Lab(Topology.of(scenario, options), Netns.newPrefix(), options.segmentDelays());
        Runtime.getRuntime().addShutdownHook(lab.shutdownHook);
        try {
            new LabBuild(lab.topology, lab.namespaces, lab.switchNamespace, options.failAfterStep()).run();
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
     * must ask the server again for its public endpoint.
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
        if (closed.get()) {
            throw new IllegalStateException("lab is closed");
        }
        if (Exec.find("conntrack").isEmpty()) {
            throw new LabException("setNatBehaviour needs `conntrack` (conntrack-tools) to flush " + nat
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
        String table = NftRules.nat(behaviour, topology.host(nat).mainAddress(), values);
        Exec.check(Exec.inNamespace(ns, List.of(Exec.tool("nft"), "-f", "-")), NftRules.replacing(table));
        behaviours.put(nat, behaviour);
        Exec.check(Exec.inNamespace(ns, List.of(Exec.tool("conntrack"), "-F")));
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
     * {@code 192.168.1.1} in figure 5.
     */
    public String address(String host) {
        return topology.host(host).mainAddress();
    }

    /**
     * All of a host's IPv4 addresses, {@link #address} first: the server has {@code 192.0.2.128}
     * and {@code 192.0.2.129} (a second remote IP for mapping and filtering observations; bind a
     * socket to it explicitly, or replies leave from 192.0.2.128); a NAT has its public then its
     * inside address.
     */
    public List<String> addresses(String host) {
        return topology.host(host).addresses();
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
                + ", " + switchNamespace.replace("switch", "*") + "]";
    }

    private void requireNat(String nat) {
        if (!topology.host(nat).isNat()) {
            throw new IllegalArgumentException(nat + " is not a NAT; NATs in " + scenario() + ": " + nats());
        }
    }
}
