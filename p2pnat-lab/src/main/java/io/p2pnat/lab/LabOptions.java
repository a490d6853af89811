package io.p2pnat.lab;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Changes to a scenario's default NAT behaviours. Immutable; each {@code with...} returns a new
 * value. The defaults: every NAT is {@link LabNat#homeRouter home-router-like}, except the two
 * {@link LabNat#symmetricRandom symmetric} NATs of {@link Scenario#FIGURE_1}; NAT A hairpins
 * in {@link Scenario#FIGURE_4}, NAT X hairpins in {@link Scenario#FIGURE_5}, no other NAT does.
 * To change a NAT of a running lab, see {@link Lab#setNatBehaviour}.
 *
 * <pre>{@code
 * Lab.create(Scenario.FIGURE_5, LabOptions.defaults().withHairpinning("natX", false))
 * Lab.create(Scenario.FIGURE_3, LabOptions.defaults().withInternetDelay(20))   // +40 ms RTT NAT A <-> NAT B
 * Lab.create(Scenario.FIGURE_3, LabOptions.defaults().withInternetLoss(1))     // 1% of packets dropped, each way
 * }</pre>
 */
public final class LabOptions {
    /** The largest one-way Internet delay {@link #withInternetDelay} accepts, in ms. */
    public static final int MAX_INTERNET_DELAY_MS = 10_000;

    /** The segment every scenario calls the Internet (192.0.2.0/24); see {@link Lab#segments()}. */
    public static final String INTERNET = "inet";

    /** Loss is applied in steps of 1/{@value} (0.01%). */
    static final int LOSS_SCALE = 10_000;

    private static final LabOptions DEFAULTS = new LabOptions(Map.of(), null, Map.of(), null, Map.of(), Set.of());

    private final Map<String, UnaryOperator<LabNat>> natChanges;
    private final String failAfterStep;
    private final Map<String, Integer> segmentDelays;
    private final Impostor impostor;
    /** Loss in units of 1/{@link #LOSS_SCALE} by segment, none zero. */
    private final Map<String, Integer> segmentLosses;
    private final Set<String> wireSized;

    /**
     * A host named {@value #IMPOSTOR} on a client's LAN that owns {@code address}, reached by the
     * client on-link; see {@link #withImpostor}.
     */
    record Impostor(String client, String address) {}

    /** The host name of the {@link #withImpostor impostor}. */
    public static final String IMPOSTOR = "impostor";

    private LabOptions(Map<String, UnaryOperator<LabNat>> natChanges, String failAfterStep,
            Map<String, Integer> segmentDelays, Impostor impostor, Map<String, Integer> segmentLosses,
            Set<String> wireSized) {
        this.natChanges = Collections.unmodifiableMap(new LinkedHashMap<>(natChanges));
        this.failAfterStep = failAfterStep;
        this.segmentDelays = Collections.unmodifiableMap(new LinkedHashMap<>(segmentDelays));
        this.impostor = impostor;
        this.segmentLosses = Collections.unmodifiableMap(new LinkedHashMap<>(segmentLosses));
        this.wireSized = Collections.unmodifiableSet(new LinkedHashSet<>(wireSized));
    }

    /** The scenario's own behaviours, unchanged. */
    public static LabOptions defaults() {
        return DEFAULTS;
    }

    /**
     * Replaces a NAT's behaviour.
     *
     * @param nat "natA", "natB" or "natX"; {@link Lab#create(Scenario, LabOptions)} rejects a NAT
     *     the scenario does not have
     */
    public LabOptions withNatBehaviour(String nat, LabNat behaviour) {
        Objects.requireNonNull(behaviour, "behaviour");
        return change(nat, old -> behaviour);
    }

    /** Switches one NAT's hairpinning (RFC 4787 §6) on or off, keeping the rest of its behaviour. */
    public LabOptions withHairpinning(String nat, boolean on) {
        return change(nat, old -> old.withHairpinning(on));
    }

    /**
     * Delays every IPv4 packet that crosses the Internet segment (the bridge joining S, the
     * outermost NATs and figure 2's public client B) by {@code oneWayMs} in each direction, so a
     * round trip between two hosts on that segment, e.g. the public sides of two NATs, takes
     * {@code 2 × oneWayMs} longer. Other segments (LANs, figure 5's ISP network) keep their
     * sub-millisecond latency: figure 5's hairpinned peer traffic never crosses the Internet, so
     * delay its ISP network with {@link #withSegmentDelay withSegmentDelay("isp", ms)}.
     *
     * <p>The kernel here has no {@code netem}; the lab runs {@code tools/nfq-delay} (built by
     * {@code scripts/build-nfq-delay} of the p2pnat checkout, found from system property
     * {@code p2pnat.home}, env {@code P2PNAT_HOME}, the working directory or the lab's own jar)
     * in the switch namespace, with an iptables {@code NFQUEUE --queue-bypass} rule on the
     * Internet bridge and {@code bridge-nf-call-iptables=1} in that namespace only. It needs
     * {@code iptables}; {@link Lab#create(Scenario, LabOptions)} throws a {@link LabException}
     * saying why when the daemon cannot be built or started. Releases are typically 0.02-0.1 ms
     * late (see the tool's README).
     *
     * @param oneWayMs 0 (no delay, the default) to {@link #MAX_INTERNET_DELAY_MS}
     */
    public LabOptions withInternetDelay(int oneWayMs) {
        return withSegmentDelay(INTERNET, oneWayMs);
    }

    /**
     * As {@link #withInternetDelay}, for any segment of the scenario ({@link Lab#segments()}):
     * {@code "inet"} (the Internet), {@code "isp"} (figure 5's ISP network between NAT X and the
     * home NATs, which the hairpinned peer traffic crosses twice each way), or a LAN ({@code "lan"},
     * {@code "lanA"}, {@code "lanB"}). A packet is delayed each time it crosses a delayed segment.
     * {@link Lab#create(Scenario, LabOptions)} rejects a segment the scenario lacks.
     *
     * @param oneWayMs 0 (no delay, the default) to {@link #MAX_INTERNET_DELAY_MS}
     */
    public LabOptions withSegmentDelay(String segment, int oneWayMs) {
        Objects.requireNonNull(segment, "segment");
        if (oneWayMs < 0 || oneWayMs > MAX_INTERNET_DELAY_MS) {
            throw new IllegalArgumentException("delay of " + segment + ": " + oneWayMs + " ms out of range 0-"
                    + MAX_INTERNET_DELAY_MS);
        }
        Map<String, Integer> copy = new LinkedHashMap<>(segmentDelays);
        if (oneWayMs == 0) {
            copy.remove(segment);
        } else {
            copy.put(segment, oneWayMs);
        }
        return new LabOptions(natChanges, failAfterStep, copy, impostor, segmentLosses, wireSized);
    }

    /**
     * Drops {@code percent} of the IPv4 packets crossing the Internet segment, in each direction,
     * each packet decided on its own (Bernoulli loss, no bursts), independently of any
     * {@link #withInternetDelay delay}. Implies {@link #withWireSizedPackets wire-sized packets}
     * on the segment, so a TCP sender's 64 KB offload aggregates are cut into MTU-sized packets
     * before the loss decides, as on a real link.
     *
     * <p>No daemon: one nftables table {@code bridge p2pnat_loss} in the switch namespace with a
     * forward-hook rule {@code iifname {<the segment's ports>} ether type ip numgen random mod
     * 10000 < N drop} (the kernel's nftables lacks {@code meta ibrname}), and counters that
     * {@link Lab#segmentTraffic} reads. Works with or without a delay: the loss rule runs before
     * the delay's NFQUEUE hook, so a dropped packet is never queued.
     *
     * @param percent 0 (no loss, the default) up to, not including, 100, in steps of 0.01
     */
    public LabOptions withInternetLoss(double percent) {
        return withSegmentLoss(INTERNET, percent);
    }

    /**
     * As {@link #withInternetLoss}, for any segment of the scenario ({@link Lab#segments()}).
     * {@link Lab#create(Scenario, LabOptions)} rejects a segment the scenario lacks.
     *
     * @param percent 0 (no loss, the default) up to, not including, 100, in steps of 0.01
     */
    public LabOptions withSegmentLoss(String segment, double percent) {
        Objects.requireNonNull(segment, "segment");
        if (!(percent >= 0 && percent < 100)) {
            throw new IllegalArgumentException("loss of " + segment + ": " + percent + "% out of range 0-99.99");
        }
        int scaled = (int) Math.round(percent * LOSS_SCALE / 100.0);
        if (percent > 0 && scaled == 0) {
            throw new IllegalArgumentException("loss of " + segment + ": " + percent + "% is below the 0.01% step");
        }
        if (scaled >= LOSS_SCALE) {
            throw new IllegalArgumentException("loss of " + segment + ": " + percent + "% rounds to 100%");
        }
        Map<String, Integer> copy = new LinkedHashMap<>(segmentLosses);
        if (scaled == 0) {
            copy.remove(segment);
        } else {
            copy.put(segment, scaled);
        }
        return new LabOptions(natChanges, failAfterStep, segmentDelays, impostor, copy, wireSized);
    }

    /**
     * Makes every host on {@code segment} hand it wire-sized packets: {@code ip link set dev IF
     * gso_max_segs 1} on each host interface attached to the segment, so the kernel cuts the
     * 64 KB TCP segmentation-offload aggregates (which veth pairs otherwise carry whole) into
     * MTU-sized packets before they reach the segment: in the host's stack for its own TCP, in
     * a NAT's forwarding path for what it forwards (the sender behind the NAT keeps its offload).
     * A delay queue and a loss rule on the segment then handle each packet as a router on a real
     * link would, for TCP as for UDP. Without it, TCP crosses a segment in far fewer, larger
     * packets than UDP does. {@link #withSegmentLoss Loss} implies it.
     */
    public LabOptions withWireSizedPackets(String segment) {
        Objects.requireNonNull(segment, "segment");
        Set<String> copy = new LinkedHashSet<>(wireSized);
        copy.add(segment);
        return new LabOptions(natChanges, failAfterStep, segmentDelays, impostor, segmentLosses, copy);
    }

    /** The loss on the Internet segment in percent; 0 = none. */
    public double internetLossPercent() {
        return segmentLossPercent(INTERNET);
    }

    /** The loss on a segment in percent; 0 = none. */
    public double segmentLossPercent(String segment) {
        return segmentLosses.getOrDefault(segment, 0) * 100.0 / LOSS_SCALE;
    }

    /** Lossy segments and their loss in units of 1/{@link #LOSS_SCALE} (none zero). */
    Map<String, Integer> segmentLosses() {
        return segmentLosses;
    }

    /** Segments whose hosts send wire-sized packets: those asked for and every lossy one. */
    Set<String> wireSizedSegments() {
        Set<String> all = new LinkedHashSet<>(wireSized);
        all.addAll(segmentLosses.keySet());
        return Collections.unmodifiableSet(all);
    }

    /**
     * Adds a host named {@value #IMPOSTOR} to {@code client}'s LAN that owns {@code address}, an
     * address that belongs to another site (RFC 5128 §6.1: private addresses alias across sites),
     * e.g. client B's private address {@code 10.1.1.3} on client A's LAN in figure 3. The client
     * gets an on-link host route to {@code address}, so everything it sends there (a punch to the
     * peer's private endpoint) reaches the impostor instead of its NAT; the impostor gets an
     * on-link route back to the client and no default route. Run programs in it with
     * {@code lab.start("impostor", ...)}. Like a public end host, it counts the UDP packets on its
     * interface ({@code lab.counter("impostor", "udp_in")}). Without this option no scenario has
     * the host.
     *
     * @param client  the end host whose LAN the impostor joins ({@code "clientA"} or {@code "clientB"})
     * @param address an IPv4 address; {@link Lab#create(Scenario, LabOptions)} rejects one the
     *     client itself owns or a client behind no NAT
     */
    public LabOptions withImpostor(String client, String address) {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(address, "address");
        if (!address.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            throw new IllegalArgumentException("impostor address '" + address + "' is not an IPv4 address");
        }
        return new LabOptions(natChanges, failAfterStep, segmentDelays, new Impostor(client, address), segmentLosses,
                wireSized);
    }

    /** The impostor asked for with {@link #withImpostor}, or null. */
    Impostor impostor() {
        return impostor;
    }

    /** The one-way delay on the Internet segment in ms; 0 = none. */
    public int internetDelayMs() {
        return segmentDelayMs(INTERNET);
    }

    /** The one-way delay on a segment in ms; 0 = none. */
    public int segmentDelayMs(String segment) {
        return segmentDelays.getOrDefault(segment, 0);
    }

    /** Test seam: make {@link Lab#create} fail right after the named build step. */
    LabOptions withInjectedFailureAfter(String step) {
        return new LabOptions(natChanges, Objects.requireNonNull(step), segmentDelays, impostor, segmentLosses, wireSized);
    }

    /** Delayed segments and their one-way delays in ms (none zero). */
    Map<String, Integer> segmentDelays() {
        return segmentDelays;
    }

    String failAfterStep() {
        return failAfterStep;
    }

    Iterable<String> changedNats() {
        return natChanges.keySet();
    }

    LabNat apply(String nat, LabNat scenarioDefault) {
        UnaryOperator<LabNat> change = natChanges.get(nat);
        return change == null ? scenarioDefault : Objects.requireNonNull(change.apply(scenarioDefault));
    }

    private LabOptions change(String nat, UnaryOperator<LabNat> next) {
        Objects.requireNonNull(nat, "nat");
        Map<String, UnaryOperator<LabNat>> copy = new LinkedHashMap<>(natChanges);
        UnaryOperator<LabNat> previous = copy.get(nat);
        copy.put(nat, previous == null ? next : b -> next.apply(previous.apply(b)));
        return new LabOptions(copy, failAfterStep, segmentDelays, impostor, segmentLosses, wireSized);
    }
}
