package io.p2pnat.cli;

import io.p2pnat.sim.Mix;
import io.p2pnat.sim.Population;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `p2pnat sim`: a population of peers behind simulated NATs (p2pnat-sim), every peer, NAT and
 * the server the real state machines, dialing each other at random; prints what connected how.
 */
@Command(name = "sim", mixinStandardHelpOptions = true,
        description = {"Simulate a population of peers behind a mix of NAT types (deterministic, virtual time).",
                "Reports the direct rate per technique, relay share, setup-time percentiles, server load and state.",
                "The default mix follows NAT Check's 82%% endpoint-independent NATs (see Mix in p2pnat-sim)."})
final class SimCommand implements Callable<Integer> {
    @Option(names = "--peers", defaultValue = "1000", description = "peers (default ${DEFAULT-VALUE})")
    int peers;

    @Option(names = "--attempts", defaultValue = "2000", description = "dials between random pairs (default ${DEFAULT-VALUE})")
    int attempts;

    @Option(names = "--mix", description = "file of lines 'TYPE WEIGHT' (TYPE: EIM+EIF, EIM+ADF, EIM+APDF, ADM seq, APDM seq, APDM random, public)")
    Path mixFile;

    @Option(names = "--seed", defaultValue = "1", description = "random seed (default ${DEFAULT-VALUE}); same seed, same run")
    long seed;

    @Option(names = "--rate", description = "dials per virtual second (default: peers / 10, at least 100)")
    Double rate;

    @Option(names = "--real-crypto", description = {"identities on X25519, as real peers (about 1 ms of CPU per connection);",
            "default: an insecure stand-in DH with the same message sizes and code paths"})
    boolean realCrypto;

    @Option(names = "--shards", description = {"independent networks, each with its own server and a share of peers and dials,",
            "run in parallel, one per core at a time (default: one per 5,000 peers); results depend on this, not on the cores;",
            "--shards 1 puts every peer on one server (slower: one large network's state outgrows the caches)"})
    Integer shards;

    @Option(names = "--mapping-loss", defaultValue = "0", paramLabel = "RATE",
            description = {"NAT reboots per NAT per virtual minute (default ${DEFAULT-VALUE}: none): every NAT forgets its",
                    "mappings at random times while connected sessions carry echoed traffic for 10 s; reports the",
                    "sessions that lost a path, those kept (repaired in place) and the repair outage percentiles"})
    double mappingLoss;

    @Override
    public Integer call() throws Exception {
        if (peers < 2 || attempts < 0) {
            throw new Main.UsageError("--peers must be at least 2 and --attempts not negative");
        }
        if (rate != null && rate <= 0) {
            throw new Main.UsageError("--rate must be positive");
        }
        if (shards != null && (shards < 1 || peers < 2L * shards)) {
            throw new Main.UsageError("--shards must be at least 1, with at least 2 peers per shard");
        }
        if (!(mappingLoss >= 0) || Double.isInfinite(mappingLoss)) {
            throw new Main.UsageError("--mapping-loss must be a finite rate >= 0");
        }
        Mix mix = mixFile == null ? Mix.DEFAULT : readMix(mixFile);
        Population.Settings d = Population.Settings.of(peers, attempts, mix, seed);
        Population.Settings s = (rate == null ? d
                : new Population.Settings(peers, attempts, mix, seed, rate, d.registrationSpread(), d.dh(), d.shards()))
                .withRealCrypto(realCrypto);
        if (shards != null) {
            s = s.withShards(shards);
        }
        if (mappingLoss > 0) {
            s = s.withMappingLoss(mappingLoss);
        }
        System.err.println("simulating " + peers + " peers, " + attempts + " attempts; mix: " + mix.describe()
                + "; crypto: " + (realCrypto ? "X25519" : "insecure stand-in DH (--real-crypto for X25519)")
                + (s.shards() > 1 ? "; " + s.shards() + " shards (a server each, dials within a shard), in parallel" : ""));
        java.util.function.DoubleConsumer bar = System.console() == null ? null : f -> {
            int n = (int) Math.round(f * 40);
            System.err.print("\r[" + "#".repeat(n) + ".".repeat(40 - n) + "] " + Math.round(f * 100) + "%");
            if (f >= 1) {
                System.err.println();
            }
            System.err.flush();
        };
        long gcBefore = collectorMillis();
        Population.Report report = Population.run(s, bar);
        print(report, System.out);
        // Where the wall time went besides simulating: the run holds millions of NAT mappings.
        double gc = (collectorMillis() - gcBefore) / 1e3;
        System.out.printf(Locale.ROOT, "garbage collection: %.1f s of the %.1f s (%.0f%%)%n", gc, report.wallSeconds(),
                report.wallSeconds() > 0 ? 100 * gc / report.wallSeconds() : 0.0);
        return 0;
    }

    private static Mix readMix(Path file) {
        try {
            return Mix.read(file);
        } catch (java.io.IOException e) {
            throw new Main.UsageError("--mix " + file + ": cannot read it (" + e.getClass().getSimpleName() + ")");
        } catch (IllegalArgumentException e) {
            throw new Main.UsageError("--mix " + file + ": " + e.getMessage());
        }
    }

    /** Milliseconds the JVM's collectors have spent so far (pauses of a stop-the-world collector). */
    private static long collectorMillis() {
        long ms = 0;
        for (java.lang.management.GarbageCollectorMXBean b : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            ms += Math.max(0, b.getCollectionTime());
        }
        return ms;
    }

    static void print(Population.Report r, PrintStream out) {
        long n = r.settings().attempts();
        Demo.Table t = new Demo.Table("technique", "attempts", "share", "as theory", "p50 ms", "p90 ms", "p99 ms");
        for (Map.Entry<String, Population.TechniqueStats> e : r.byTechnique().entrySet()) {
            Population.TechniqueStats st = e.getValue();
            t.row(e.getKey(), String.valueOf(st.count), pct(st.count, n), pct(st.expectedCount, st.count),
                    ms(st.percentileMs(0.5)), ms(st.percentileMs(0.9)), ms(st.percentileMs(0.99)));
        }
        if (r.failed() + r.unfinished() > 0) {
            t.row("failed", String.valueOf(r.failed() + r.unfinished()), pct(r.failed() + r.unfinished(), n), "-", "-", "-", "-");
        }
        t.print(out);
        out.println();
        out.printf(Locale.ROOT, "direct %.1f%%, relayed %.1f%%, failed %d; as theory expects %.1f%%%n", 100 * r.directRate(),
                100 * r.relayShare(), r.failed() + r.unfinished(), n == 0 ? 0 : 100.0 * r.asExpected() / n);
        out.printf(Locale.ROOT, "setup time p50 %s ms, p90 %s ms, p99 %s ms%n", ms(r.percentileMs(0.5)), ms(r.percentileMs(0.9)),
                ms(r.percentileMs(0.99)));
        out.printf(Locale.ROOT, "ready to send p50 %s ms, p90 %s ms, p99 %s ms (until the end-to-end secure channel is up)%n",
                ms(r.readyPercentileMs(0.5)), ms(r.readyPercentileMs(0.9)), ms(r.readyPercentileMs(0.99)));
        if (!r.failures().isEmpty()) {
            out.println("failures by kind: " + r.failures());
            r.failureExamples().forEach(e -> out.println("  failed: " + e));
        }
        if (!r.mismatches().isEmpty()) {
            out.println("not as theory (expected -> got): " + r.mismatches());
            r.mismatchExamples().forEach(e -> out.println("  not as theory: " + e));
        }
        io.p2pnat.sim.SessionsKept k = r.sessionsKept();
        if (r.settings().mappingLossPerNatPerMinute() > 0) {
            out.printf(Locale.ROOT, "mapping loss %s reboots per NAT per minute: %d NAT reboots; of %d sessions carrying traffic %d lost a"
                            + " path, %d kept (%s); repair outage p50 %s ms, p90 %s ms, p99 %s ms%n",
                    String.valueOf(r.settings().mappingLossPerNatPerMinute()), k.natReboots(), k.sessions(), k.lostPath(), k.kept(),
                    k.lostPath() == 0 ? "-" : pct(k.kept(), k.lostPath()), ms(k.outagePercentileMs(0.5)), ms(k.outagePercentileMs(0.9)),
                    ms(k.outagePercentileMs(0.99)));
        }
        double v = r.virtualSeconds();
        int servers = r.settings().shards();
        out.printf(Locale.ROOT, "server%s: %.0f messages/s in + out over %.1f virtual s; state at end: %d registrations, "
                        + "%d relay sessions, %d pending introductions%n",
                servers > 1 ? "s (" + servers + ", totals)" : "", (r.serverPacketsIn() + r.serverPacketsOut()) / v, v,
                r.serverRegistrations(), r.serverRelaySessions(), r.serverPendingIntroductions());
        if (servers > 1) {
            out.printf(Locale.ROOT, "per server: %.0f messages/s, %d registrations (--shards 1: one server for every peer)%n",
                    (r.serverPacketsIn() + r.serverPacketsOut()) / v / servers, r.serverRegistrations() / servers);
        }
        out.printf(Locale.ROOT, "network: %d packets, %d NAT mappings held at end, drops %s%n", r.packets(), r.natMappings(), r.drops());
        StringBuilder kinds = new StringBuilder();
        r.packetKinds().entrySet().stream().limit(8).forEach(e -> kinds.append(kinds.length() == 0 ? "" : ", ")
                .append(e.getKey()).append(' ').append(String.format(Locale.ROOT, "%.1f", n == 0 ? 0.0 : (double) e.getValue() / n)));
        out.println("packets per attempt, top kinds: " + kinds);
        out.printf(Locale.ROOT, "cost: %.2f s wall for %d events (%.0f events/s, %.0f events per attempt); trace hash %016x%n",
                r.wallSeconds(), r.events(), r.events() / r.wallSeconds(), n == 0 ? 0 : (double) r.events() / n, r.traceHash());
        if (n >= 10_000) { // smaller runs are mostly start-up and registration: no useful extrapolation
            double perAttempt = r.wallSeconds() / n;
            out.printf(Locale.ROOT, "at this cost 1,000,000 attempts take about %.0f s of wall time (goal: 60 s)%n", perAttempt * 1e6);
        }
    }

    private static String pct(long part, long whole) {
        return whole == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
    }

    private static String ms(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.0f", v);
    }
}
