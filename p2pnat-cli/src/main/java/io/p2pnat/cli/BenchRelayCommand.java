package io.p2pnat.cli;

import io.p2pnat.server.RelayBench;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `p2pnat bench relay`: registers peer pairs and introduces them through one sans-I/O
 * rendezvous service, in process, through its public datagram API (REGISTER with the
 * cookie round trip, CONNECT, the target's INTRODUCE acknowledgement): the server API's
 * {@link RelayBench}. Each introduction creates a native relay session (RFC 5128 §3.1 relaying
 * over the peers' server sessions, no relay port). Heap is measured after full GCs before and after.
 */
@Command(name = "relay", mixinStandardHelpOptions = true,
        description = {"Count the native relay sessions one rendezvous service holds and the heap bytes each costs.",
                "Creates N registered peer pairs and N introductions in process (no sockets)."})
final class BenchRelayCommand implements Callable<Integer> {
    @Option(names = "--pairs", paramLabel = "N", defaultValue = "100000",
            description = "Peer pairs to register and introduce (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Override
    public Integer call() throws Exception {
        if (pairs < 1 || pairs > RelayBench.MAX_PAIRS) {
            throw new Main.UsageError("bad --pairs " + pairs + ": must be 1-2000000");
        }
        PrintStream out = System.out;
        int peers = 2 * pairs;
        long base = heapAfterGc();
        RelayBench bench = RelayBench.create(pairs);
        long empty = heapAfterGc();
        long t0 = System.nanoTime();
        bench.registerAll();
        long t1 = System.nanoTime();
        long registered = heapAfterGc();
        bench.introduceAll();
        long t2 = System.nanoTime();
        long introduced = heapAfterGc();
        int sessions = bench.relaySessionCount();
        if (sessions != pairs || bench.registrationCount() != peers) {
            out.printf("p2pnat bench relay: expected %d sessions and %d registrations, got %d and %d%n",
                    pairs, peers, sessions, bench.registrationCount());
            return Main.EXIT_FAILURE;
        }
        out.printf(Locale.ROOT, "native relay sessions held: %,d (one per introduction; limit %,d by configuration)%n",
                sessions, bench.maxRelaySessions());
        out.printf(Locale.ROOT, "heap per relay session:     %,d bytes (%,d sessions: %.1f MiB)%n",
                (introduced - registered) / pairs, pairs, (introduced - registered) / 1048576.0);
        out.printf(Locale.ROOT, "heap per registered peer:   %,d bytes (%,d peers: %.1f MiB)%n",
                (registered - empty) / peers, peers, (registered - empty) / 1048576.0);
        out.printf(Locale.ROOT, "heap per pair, all in:      %,d bytes (2 registrations + 1 session)%n",
                (introduced - empty) / pairs);
        out.printf(Locale.ROOT, "service: %.1f MiB empty; %,.0f registrations/s, %,.0f introductions/s (single thread)%n",
                (empty - base) / 1048576.0, peers / ((t1 - t0) / 1e9), pairs / ((t2 - t1) / 1e9));
        out.printf(Locale.ROOT, "JVM max heap %.0f MiB: room for about %,d sessions with their peers%n",
                Runtime.getRuntime().maxMemory() / 1048576.0,
                Runtime.getRuntime().maxMemory() / Math.max(1, (introduced - empty) / pairs));
        return 0;
    }

    private static long heapAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(50);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
