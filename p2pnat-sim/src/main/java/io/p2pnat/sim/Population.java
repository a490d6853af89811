package io.p2pnat.sim;

import io.p2pnat.core.Timers;
import io.p2pnat.core.peer.ConnectionInfo;
import io.p2pnat.core.peer.PeerConfig;
import io.p2pnat.core.peer.PeerEvent;
import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.core.rendezvous.RendezvousService;
import io.p2pnat.core.secure.DhFunction;
import io.p2pnat.core.secure.Identity;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * An internet-scale "what if": {@code peers} peers, each behind its own NAT drawn from a
 * {@link Mix} (or on the public internet), register with one rendezvous server, then
 * {@code attempts} dials between random pairs arrive at a steady rate. Every peer, NAT and the
 * server are the real state machines; nothing is sampled or short-cut. A connected dial is closed
 * a second later, so the server's relay state reflects live sessions only; with mapping loss
 * ({@link Settings#withMappingLoss}) it carries echoed traffic for 10 s while NATs reboot.
 *
 * <p>Topology: the server on the internet (10 ms link; Binding also on an alternate port and a
 * second address); each NATed peer on a 1 ms LAN behind its NAT, whose uplink has a one-way
 * latency drawn from 5-40 ms; public peers get the same uplink latency on their own link.
 */
public final class Population {
    /**
     * Settings of a run.
     *
     * @param dh     the Diffie-Hellman function of every identity, the server's included: the real
     *               X25519, or the insecure {@link SimDh} stand-in that makes millions of handshakes
     *               cheap without changing a message size or a state machine's path
     * @param shards independent networks the population is split into, each with its own
     *               rendezvous server, a share of the peers and of the attempts (dials stay inside
     *               a shard), run in parallel, one thread each up to the machine's cores; results
     *               depend on the shard count, never on the thread count
     * @param mappingLossPerNatPerMinute how often every NAT reboots, forgetting its mappings (see
     *               {@link #withMappingLoss}); 0: never, and connected dials close after a second
     */
    public record Settings(int peers, int attempts, Mix mix, long seed, double attemptsPerSecond, Duration registrationSpread,
                           DhFunction dh, int shards, double mappingLossPerNatPerMinute) {
        /**
         * Peers per shard that {@link #of} aims at: one server's share in a large run. A shard's
         * cost per attempt grows with its size: a network of 50,000 peers keeps its NAT tables,
         * server tables and timers far outside the CPU caches, and its mappings live long enough
         * in wall time to be copied by the collector. Shards of 5,000 run 100k peers and 1M
         * attempts in 104-117 s instead of 190 s; a dial's outcome does not depend on it.
         */
        public static final int PEERS_PER_SHARD = 5_000;

        public Settings {
            if (peers < 2 || attempts < 0 || attemptsPerSecond <= 0) {
                throw new IllegalArgumentException("need at least 2 peers, attempts >= 0 and a positive rate");
            }
            if (shards < 1 || peers < 2L * shards) {
                throw new IllegalArgumentException("need at least one shard and 2 peers per shard");
            }
            java.util.Objects.requireNonNull(dh, "dh");
            if (!(mappingLossPerNatPerMinute >= 0) || Double.isInfinite(mappingLossPerNatPerMinute)) {
                throw new IllegalArgumentException("the mapping loss rate must be a finite number >= 0");
            }
        }

        /** Without mapping loss. */
        public Settings(int peers, int attempts, Mix mix, long seed, double attemptsPerSecond, Duration registrationSpread,
                        DhFunction dh, int shards) {
            this(peers, attempts, mix, seed, attemptsPerSecond, registrationSpread, dh, shards, 0);
        }

        /** With the {@link SimDh} stand-in, in one shard. */
        public Settings(int peers, int attempts, Mix mix, long seed, double attemptsPerSecond, Duration registrationSpread) {
            this(peers, attempts, mix, seed, attemptsPerSecond, registrationSpread, SimDh.INSTANCE, 1);
        }

        /** The default rate (a tenth of the peers dial per second), spread and stand-in DH; a shard per 5,000 peers. */
        public static Settings of(int peers, int attempts, Mix mix, long seed) {
            return new Settings(peers, attempts, mix, seed, Math.max(100, peers / 10.0),
                    Duration.ofMillis(Math.max(1_000, peers / 10L)), SimDh.INSTANCE,
                    Math.max(1, (peers + PEERS_PER_SHARD - 1) / PEERS_PER_SHARD));
        }

        /** The same run with identities on {@code f}. */
        public Settings withDh(DhFunction f) {
            return new Settings(peers, attempts, mix, seed, attemptsPerSecond, registrationSpread, f, shards, mappingLossPerNatPerMinute);
        }

        /** The same run with X25519 identities ({@code real}) or the insecure {@link SimDh} stand-in. */
        public Settings withRealCrypto(boolean real) {
            return withDh(real ? DhFunction.X25519 : SimDh.INSTANCE);
        }

        /** The same run split into {@code n} shards. */
        public Settings withShards(int n) {
            return new Settings(peers, attempts, mix, seed, attemptsPerSecond, registrationSpread, dh, n, mappingLossPerNatPerMinute);
        }

        /**
         * The same run with mapping loss (issue 19): every NAT reboots (all mappings forgotten,
         * new ones on other public ports; {@link Nat#reboot()}) at random times, on average
         * {@code perNatPerMinute} times a minute, from the first dial to the end of the run; and
         * every connected dial's session carries echoed traffic for 10 s (a message every
         * 100 ms) instead of closing after a second. The report's {@link Report#sessionsKept()}
         * says how many sessions lost a path and how many repaired it. 0: today's run exactly.
         */
        public Settings withMappingLoss(double perNatPerMinute) {
            return new Settings(peers, attempts, mix, seed, attemptsPerSecond, registrationSpread, dh, shards, perNatPerMinute);
        }

        /** Shard {@code i}'s settings: its share of peers and attempts, the rate scaled alike, its own seed. */
        Settings shard(int i) {
            if (shards == 1) {
                return this;
            }
            int p = peers / shards + (i < peers % shards ? 1 : 0);
            int a = attempts / shards + (i < attempts % shards ? 1 : 0);
            double rate = attempts == 0 ? attemptsPerSecond / shards : attemptsPerSecond * a / attempts;
            return new Settings(p, a, mix, seed ^ (0x9E3779B97F4A7C15L * (i + 1)), Math.max(rate, 1e-9), registrationSpread, dh, 1,
                    mappingLossPerNatPerMinute);
        }
    }

    /** Outcome per technique (the dialer's view). */
    public static final class TechniqueStats {
        public long count;
        public long expectedCount;
        final List<Long> setup = new ArrayList<>();

        public double percentileMs(double p) {
            if (setup.isEmpty()) {
                return Double.NaN;
            }
            long[] a = setup.stream().mapToLong(Long::longValue).toArray();
            Arrays.sort(a);
            return Timers.millis(a[(int) Math.min(a.length - 1, Math.floor(p * a.length))]);
        }
    }

    /** What a run gave. */
    public record Report(Settings settings, long connected, long failed, long unfinished, long asExpected,
                         TreeMap<String, TechniqueStats> byTechnique, TreeMap<String, Long> failures,
                         TreeMap<String, Long> mismatches,
                         long[] allSetupNanos, double virtualSeconds, double wallSeconds, long events, long packets,
                         long serverPacketsIn, long serverPacketsOut, int serverRegistrations, int serverRelaySessions,
                         int serverPendingIntroductions, long natMappings, long peerSessions, long traceHash,
                         TreeMap<String, Long> drops, java.util.LinkedHashMap<String, Long> packetKinds,
                         List<String> failureExamples, List<String> mismatchExamples, long[] allReadyNanos,
                         SessionsKept sessionsKept) {
        public double directRate() {
            long direct = byTechnique.entrySet().stream().filter(e -> !e.getKey().equals("relay"))
                    .mapToLong(e -> e.getValue().count).sum();
            return settings.attempts == 0 ? 0 : (double) direct / settings.attempts;
        }

        public double relayShare() {
            TechniqueStats r = byTechnique.get("relay");
            return settings.attempts == 0 || r == null ? 0 : (double) r.count / settings.attempts;
        }

        public double percentileMs(double p) {
            if (allSetupNanos.length == 0) {
                return Double.NaN;
            }
            return Timers.millis(allSetupNanos[(int) Math.min(allSetupNanos.length - 1, Math.floor(p * allSetupNanos.length))]);
        }

        /**
         * The p-th quantile of the time from the dial to the dialer's {@code Connected} event, when
         * the application can send (the secure handshake on the chosen path follows the setup).
         */
        public double readyPercentileMs(double p) {
            if (allReadyNanos.length == 0) {
                return Double.NaN;
            }
            return Timers.millis(allReadyNanos[(int) Math.min(allReadyNanos.length - 1, Math.floor(p * allReadyNanos.length))]);
        }
    }

    private record Attempt(long startedAt, String expected, String who) {
    }

    /** The first failures, said in full (when, who, their NATs, why): a failure is worth a look. */
    static final int FAILURE_EXAMPLES = 5;
    private final List<String> failureExamples = new ArrayList<>();
    /** Up to {@link #MISMATCH_EXAMPLES} dials per kind of mismatch, in full, to look into. */
    static final int MISMATCH_EXAMPLES = 2;
    private final TreeMap<String, List<String>> mismatchExamples = new TreeMap<>();

    private final Settings s;
    private final SimNet net;
    private final ServerHost server;
    private final PeerHost[] peers;
    private final SimNatType[] types;
    private final Random plan;
    /** NAT reboots and sessions carrying traffic (null: no mapping loss, today's run). */
    private final MappingLoss mappingLoss;
    private final Map<PeerHost, Map<Long, Attempt>> open = new HashMap<>();
    private final TreeMap<String, TechniqueStats> byTechnique = new TreeMap<>();
    private final TreeMap<String, Long> failures = new TreeMap<>();
    private final TreeMap<String, Long> mismatches = new TreeMap<>();
    private final List<Long> setups = new ArrayList<>();
    /** Dial to the dialer's Connected event, per connected dial. */
    private final List<Long> readies = new ArrayList<>();
    private long connected;
    private long failed;
    private long asExpected;

    private Population(Settings s) {
        this.s = s;
        this.net = new SimNet(s.seed);
        this.plan = new SimRandom(s.seed * 7919 + 1);
        this.mappingLoss = s.mappingLossPerNatPerMinute > 0 ? new MappingLoss(net, s.mappingLossPerNatPerMinute, s.seed) : null;
        server = net.server("S", PairRun.SERVER, null, Link.ms(10), RendezvousConfig.defaults().withDh(s.dh))
                .alternatePort(PairRun.ALT_PORT).otherAddress(PairRun.OTHER);
        net.bindingResponder("S2", PairRun.OTHER, null, Link.ms(10));
        peers = new PeerHost[s.peers];
        types = new SimNatType[s.peers];
        for (int i = 0; i < s.peers; i++) {
            SimNatType t = s.mix.draw(plan);
            types[i] = t;
            double up = 5 + plan.nextDouble() * 35;
            // Public addresses from 11.0.0.0 on, private ones from 10.0.0.2 on: unique, so no aliasing.
            InetSocketAddress pub = new InetSocketAddress(SimNet.ipv4(0x0B000000 + i), 1234);
            String id = "p" + i;
            if (t == null) {
                peers[i] = net.peer(config(id, pub), null, Link.ms(up));
            } else {
                Nat nat = net.nat("nat" + i, pub.getAddress().getHostAddress(), null, Link.ms(up), t.config);
                InetSocketAddress priv = new InetSocketAddress(SimNet.ipv4(0x0A000002 + i), 1234);
                peers[i] = net.peer(config(id, priv), nat, Link.ms(1));
            }
            peers[i].forgetEvents().onEvent(this::onEvent);
        }
    }

    private PeerConfig config(String id, InetSocketAddress at) {
        // The defaults of PeerConfig's short constructors, with an identity on the run's DH function.
        return new PeerConfig(id, PairRun.SERVER, List.of(at), Duration.ofSeconds(4), Duration.ofSeconds(30),
                PeerConfig.DEFAULT_PUNCH_BUDGET, Identity.insecureForTests(id, s.dh));
    }

    /** Builds the population and runs every attempt to its end. */
    public static Report run(Settings s) {
        return run(s, null);
    }

    /**
     * As {@link #run(Settings)}, telling {@code progress} (when not null) how far the run is, from
     * 0 to 1, about a hundred times. Progress reports are extra events: the trace differs from a
     * run without them.
     */
    public static Report run(Settings s, java.util.function.DoubleConsumer progress) {
        long wall = System.nanoTime();
        if (s.shards() == 1) {
            Population p = new Population(s);
            p.progress = progress;
            p.play();
            return p.report((System.nanoTime() - wall) / 1e9);
        }
        int n = s.shards();
        double[] done = new double[n];
        double[] told = {0};
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
                Math.min(n, Runtime.getRuntime().availableProcessors()), r -> {
                    Thread t = new Thread(r, "sim-shard");
                    t.setDaemon(true);
                    return t;
                });
        try {
            List<java.util.concurrent.Future<Report>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int shard = i;
                futures.add(pool.submit(() -> {
                    Population p = new Population(s.shard(shard));
                    if (progress != null) {
                        p.progress = f -> {
                            synchronized (done) {
                                done[shard] = f;
                                double all = Arrays.stream(done).sum() / n;
                                if (all >= told[0] + 0.01 || all >= 1) {
                                    told[0] = all;
                                    progress.accept(all);
                                }
                            }
                        };
                    }
                    p.play();
                    return p.report(0);
                }));
            }
            List<Report> parts = new ArrayList<>();
            for (java.util.concurrent.Future<Report> f : futures) {
                parts.add(f.get());
            }
            return merge(s, parts, (System.nanoTime() - wall) / 1e9);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** One report for a sharded run: counts add up, percentiles over all attempts, a hash over the shards' hashes. */
    private static Report merge(Settings s, List<Report> parts, double wallSeconds) {
        TreeMap<String, TechniqueStats> byTechnique = new TreeMap<>();
        TreeMap<String, Long> failures = new TreeMap<>();
        TreeMap<String, Long> mismatches = new TreeMap<>();
        TreeMap<String, Long> drops = new TreeMap<>();
        java.util.LinkedHashMap<String, Long> kinds = new java.util.LinkedHashMap<>();
        long connected = 0, failed = 0, unfinished = 0, asExpected = 0, events = 0, packets = 0, in = 0, out = 0;
        long mappings = 0, sessions = 0, hash = parts.size();
        int registrations = 0, relays = 0, pending = 0;
        double virtual = 0;
        List<long[]> setups = new ArrayList<>();
        List<long[]> readies = new ArrayList<>();
        for (Report r : parts) {
            connected += r.connected;
            failed += r.failed;
            unfinished += r.unfinished;
            asExpected += r.asExpected;
            r.byTechnique.forEach((k, v) -> {
                TechniqueStats t = byTechnique.computeIfAbsent(k, x -> new TechniqueStats());
                t.count += v.count;
                t.expectedCount += v.expectedCount;
                t.setup.addAll(v.setup);
            });
            r.failures.forEach((k, v) -> failures.merge(k, v, Long::sum));
            r.mismatches.forEach((k, v) -> mismatches.merge(k, v, Long::sum));
            r.drops.forEach((k, v) -> drops.merge(k, v, Long::sum));
            r.packetKinds.forEach((k, v) -> kinds.merge(k, v, Long::sum));
            setups.add(r.allSetupNanos);
            readies.add(r.allReadyNanos);
            virtual = Math.max(virtual, r.virtualSeconds);
            events += r.events;
            packets += r.packets;
            in += r.serverPacketsIn;
            out += r.serverPacketsOut;
            registrations += r.serverRegistrations;
            relays += r.serverRelaySessions;
            pending += r.serverPendingIntroductions;
            mappings += r.natMappings;
            sessions += r.peerSessions;
            hash = hash * 1_000_003 + r.traceHash;
        }
        long[] all = setups.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        java.util.LinkedHashMap<String, Long> sortedKinds = new java.util.LinkedHashMap<>();
        kinds.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
                .forEach(e -> sortedKinds.put(e.getKey(), e.getValue()));
        return new Report(s, connected, failed, unfinished, asExpected, byTechnique, failures, mismatches, all, virtual,
                wallSeconds, events, packets, in, out, registrations, relays, pending, mappings, sessions, hash, drops, sortedKinds,
                parts.stream().flatMap(r -> r.failureExamples.stream()).limit(FAILURE_EXAMPLES).toList(),
                mismatchExamples(parts.stream().flatMap(r -> r.mismatchExamples.stream()).toList()),
                readies.stream().flatMapToLong(Arrays::stream).sorted().toArray(),
                SessionsKept.merge(parts.stream().map(Report::sessionsKept).toList()));
    }

    private java.util.function.DoubleConsumer progress;

    private void play() {
        long spread = s.registrationSpread.toNanos();
        for (int i = 0; i < peers.length; i++) {
            PeerHost h = peers[i];
            net.at(spread * i / peers.length, h::start);
        }
        // Dials start once everyone had time to register and classify its NAT.
        long first = spread + Duration.ofSeconds(2).toNanos();
        long gap = (long) (1e9 / s.attemptsPerSecond);
        // One dial scheduled at a time, each scheduling the next: a million dials queued up
        // front sat in the event queue's far heap for the whole run.
        if (s.attempts > 0) {
            net.at(first, () -> dial(0, first, gap));
        }
        long end = first + gap * (long) s.attempts + PairRun.DIAL_TIMEOUT + Duration.ofSeconds(3).toNanos()
                + (mappingLoss == null ? 0 : MappingLoss.HOLD_NANOS + MappingLoss.GRACE_NANOS);
        if (mappingLoss != null) {
            mappingLoss.schedule(net.nats(), first, end);
        }
        if (progress != null) {
            for (int i = 1; i <= 100; i++) {
                double f = i / 100.0;
                net.at((long) (end * f), () -> progress.accept(f));
            }
        }
        net.runTo(end);
    }

    /** Dial number {@code k} (between a pair drawn now, in order) and schedules dial k + 1. */
    private void dial(int k, long first, long gap) {
        int a = plan.nextInt(peers.length);
        int b = plan.nextInt(peers.length - 1);
        if (b >= a) {
            b++;
        }
        PeerHost dialer = peers[a];
        PeerHost listener = peers[b];
        String expected = expected(types[a], types[b]);
        if (k + 1 < s.attempts) {
            net.at(first + gap * (k + 1), () -> dial(k + 1, first, gap));
        }
        long id = dialer.agent.dial(net.now(), listener.name, PairRun.DIAL_TIMEOUT);
        open.computeIfAbsent(dialer, x -> new HashMap<>()).put(id, new Attempt(net.now(), expected,
                dialer.name + " (" + types[a] + ") -> " + listener.name + " (" + types[b] + ")"));
        net.touch(dialer);
    }

    /** At most {@link #MISMATCH_EXAMPLES} of each kind ("expected X, got Y") from the shards' examples. */
    private static List<String> mismatchExamples(List<String> all) {
        java.util.Map<String, Integer> seen = new java.util.HashMap<>();
        List<String> out = new ArrayList<>();
        for (String e : all) {
            String kind = e.substring(e.indexOf(": expected ") + 2, e.indexOf(" via "));
            if (seen.merge(kind, 1, Integer::sum) <= MISMATCH_EXAMPLES) {
                out.add(e);
            }
        }
        return out;
    }

    /** The technique theory expects for a dialer behind {@code a} and a listener behind {@code b} (null: public). */
    static String expected(SimNatType a, SimNatType b) {
        if (b == null) {
            return "direct";
        }
        if (a == null) {
            return "connection-reversal";
        }
        return SimNatType.expected(a, b, false);
    }

    private void onEvent(PeerHost h, PeerHost.Timed t) {
        if (mappingLoss != null) {
            mappingLoss.onEvent(h, t);
        }
        if (t.event() instanceof PeerEvent.Connected c && c.dialId() >= 0) {
            Attempt at = take(h, c.dialId());
            if (at == null) {
                return;
            }
            ConnectionInfo info = c.info();
            String tech = info.technique().wireName();
            connected++;
            TechniqueStats st = byTechnique.computeIfAbsent(tech, x -> new TechniqueStats());
            st.count++;
            st.setup.add(info.setupNanos());
            setups.add(info.setupNanos());
            readies.add(t.at() - at.startedAt);
            if (tech.equals(at.expected)) {
                st.expectedCount++;
                asExpected++;
            } else {
                String kind = at.expected + " -> " + tech;
                mismatches.merge(kind, 1L, Long::sum);
                List<String> ex = mismatchExamples.computeIfAbsent(kind, x -> new ArrayList<>());
                if (ex.size() < MISMATCH_EXAMPLES) {
                    ex.add(String.format(java.util.Locale.ROOT, "dial at %.3f s, %s: expected %s, got %s via %s after %.0f ms",
                            at.startedAt / 1e9, at.who, at.expected, tech, info.via().name().toLowerCase(java.util.Locale.ROOT),
                            info.setupNanos() / 1e6));
                }
            }
            long session = info.sessionId();
            if (mappingLoss != null) {
                mappingLoss.connected(h, session);
            } else {
                net.at(net.now() + 1_000_000_000L, () -> h.close(session));
            }
        } else if (t.event() instanceof PeerEvent.DialFailed f) {
            Attempt at = take(h, f.dialId());
            if (at != null) {
                failed++;
                failures.merge(f.kind().name().toLowerCase(java.util.Locale.ROOT), 1L, Long::sum);
                if (failureExamples.size() < FAILURE_EXAMPLES) {
                    failureExamples.add(String.format(java.util.Locale.ROOT, "dial at %.3f s, %s, %s: %s",
                            at.startedAt / 1e9, at.who, f.kind().name().toLowerCase(java.util.Locale.ROOT), f.reason()));
                }
                mismatches.merge(at.expected + " -> failed", 1L, Long::sum);
            }
        }
    }

    private Attempt take(PeerHost h, long dialId) {
        Map<Long, Attempt> m = open.get(h);
        return m == null ? null : m.remove(dialId);
    }

    private Report report(double wallSeconds) {
        long[] all = setups.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(all);
        long unfinished = open.values().stream().mapToLong(Map::size).sum();
        long mappings = 0;
        for (Nat n : net.nats()) {
            mappings += n.model().size();
        }
        long sessions = 0;
        for (PeerHost p : peers) {
            sessions += p.agent.sessionCount();
        }
        RendezvousService svc = server.service;
        return new Report(s, connected, failed, unfinished, asExpected, byTechnique, failures, mismatches, all, net.now() / 1e9,
                wallSeconds, net.eventsProcessed(), net.packetsSent(), svc.stats().packetsIn(), svc.stats().packetsOut(),
                svc.registrationCount(), svc.relaySessionCount(), svc.pendingIntroductionCount(), mappings, sessions,
                net.traceHash(), net.drops(), net.packetKinds(), List.copyOf(failureExamples),
                mismatchExamples.values().stream().flatMap(List::stream).toList(),
                readies.stream().mapToLong(Long::longValue).sorted().toArray(),
                mappingLoss == null ? SessionsKept.NONE : mappingLoss.figures());
    }
}
