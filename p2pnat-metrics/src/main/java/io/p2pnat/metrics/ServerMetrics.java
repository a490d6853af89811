package io.p2pnat.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.p2pnat.server.RendezvousServer;
import io.p2pnat.server.ServerStats;
import io.p2pnat.server.TurnServerStats;
import java.util.function.ToDoubleFunction;

/**
 * The rendezvous server's counters as Micrometer meters, named {@code p2pnat_*}: registrations,
 * introductions, bindings, the native relay, traffic, drops, answers to strangers held back by the
 * RFC 5128 §6.2 rule, and, with TURN on, allocations, requests, challenges, relayed traffic and
 * drops by reason. Meters read a snapshot of the server's counters taken on its event loop, at most
 * once per {@value #SNAPSHOT_MILLIS} ms, so a scrape costs one hop to that thread.
 */
public final class ServerMetrics {
    static final long SNAPSHOT_MILLIS = 200;

    private final RendezvousServer server;
    private ServerStats stats;
    private TurnServerStats turn;
    private long takenAt;

    private ServerMetrics(RendezvousServer server) {
        this.server = server;
    }

    /**
     * Registers the server's meters (and the JVM's: memory, GC, threads) in {@code registry}.
     *
     * @param server   the server to meter
     * @param registry where the meters go
     */
    public static void bind(RendezvousServer server, MeterRegistry registry) {
        ServerMetrics m = new ServerMetrics(server);
        m.counter(registry, "p2pnat.registrations", "Registrations accepted (new and renewed)", s -> s.registrations());
        m.gauge(registry, "p2pnat.registered.peers", "Peers registered now", s -> s.liveRegistrations());
        m.counter(registry, "p2pnat.introductions", "Introductions made (CONNECT answered with INTRODUCE)", s -> s.introductions());
        m.gauge(registry, "p2pnat.pending.introductions", "Introductions waiting for the target's acknowledgement",
                s -> s.pendingIntroductions());
        m.counter(registry, "p2pnat.bindings", "STUN Binding requests answered by the rendezvous service", s -> s.bindings());
        m.gauge(registry, "p2pnat.relay.sessions", "Native relay sessions held", s -> s.relaySessions());
        m.counter(registry, "p2pnat.relayed.packets", "Packets forwarded by the native relay", s -> s.relayedPackets());
        m.counter(registry, "p2pnat.relayed.bytes", "Bytes forwarded by the native relay", s -> s.relayedBytes());
        FunctionCounter.builder("p2pnat.packets", server, x -> m.stats().packetsIn()).tag("direction", "in")
                .description("Datagrams on the rendezvous port").register(registry);
        FunctionCounter.builder("p2pnat.packets", server, x -> m.stats().packetsOut()).tag("direction", "out")
                .description("Datagrams on the rendezvous port").register(registry);
        FunctionCounter.builder("p2pnat.bytes", server, x -> m.stats().bytesIn()).tag("direction", "in")
                .description("Bytes on the rendezvous port").register(registry);
        FunctionCounter.builder("p2pnat.bytes", server, x -> m.stats().bytesOut()).tag("direction", "out")
                .description("Bytes on the rendezvous port").register(registry);
        m.counter(registry, "p2pnat.dropped", "Datagrams the rendezvous service dropped (malformed, unauthenticated, unknown)",
                s -> s.dropped());
        FunctionCounter.builder("p2pnat.unauthenticated.answers.refused", server, s -> s.answersRefused())
                .description("Answers to unauthenticated UDP requests held back by the size rule or the per-source and global rates (RFC 5128 6.2)")
                .register(registry);
        if (server.turnEnabled()) {
            m.turnGauge(registry, "p2pnat.turn.allocations", "TURN allocations held", t -> t.allocations());
            m.turnCounter(registry, "p2pnat.turn.allocations.opened", "TURN allocations made (the name avoids the reserved _created suffix)", t -> t.allocationsCreated());
            m.turnCounter(registry, "p2pnat.turn.requests", "TURN requests received", t -> t.requests());
            m.turnCounter(registry, "p2pnat.turn.challenges", "401 answers with REALM and NONCE", t -> t.challenges());
            m.turnCounter(registry, "p2pnat.turn.errors", "TURN error answers", t -> t.errors());
            m.turnDrops(registry, "amplification", t -> t.amplificationDrops());
            m.turnDrops(registry, "rate-limited", t -> t.rateLimited());
            m.turnDrops(registry, "no-permission", t -> t.permissionDrops());
            m.turnDrops(registry, "malformed", t -> t.dropped());
            m.turnDrops(registry, "tcp-backlog", t -> t.streamDrops());
            m.turnDrops(registry, "tcp-quota", t -> t.streamsRefused());
            FunctionCounter.builder("p2pnat.turn.relayed.packets", server, x -> m.turn().toPeerPackets()).tag("direction", "to-peer")
                    .description("Data relayed by TURN").register(registry);
            FunctionCounter.builder("p2pnat.turn.relayed.packets", server, x -> m.turn().toClientPackets()).tag("direction", "to-client")
                    .description("Data relayed by TURN").register(registry);
            FunctionCounter.builder("p2pnat.turn.relayed.bytes", server, x -> m.turn().toPeerBytes()).tag("direction", "to-peer")
                    .description("Bytes relayed by TURN").register(registry);
            FunctionCounter.builder("p2pnat.turn.relayed.bytes", server, x -> m.turn().toClientBytes()).tag("direction", "to-client")
                    .description("Bytes relayed by TURN").register(registry);
        }
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
    }

    // Meters hold their state object weakly: this object is referenced by nothing else, so with
    // it as the state every meter read NaN (gauges) or stood still (counters) after the first GC.
    // The server (held by whoever runs it) is the state; this object is captured by the function.
    private void counter(MeterRegistry r, String name, String help, ToDoubleFunction<ServerStats> f) {
        FunctionCounter.builder(name, server, x -> f.applyAsDouble(stats())).description(help).register(r);
    }

    private void gauge(MeterRegistry r, String name, String help, ToDoubleFunction<ServerStats> f) {
        Gauge.builder(name, server, x -> f.applyAsDouble(stats())).description(help).register(r);
    }

    private void turnCounter(MeterRegistry r, String name, String help, ToDoubleFunction<TurnServerStats> f) {
        FunctionCounter.builder(name, server, x -> f.applyAsDouble(turn())).description(help).register(r);
    }

    private void turnGauge(MeterRegistry r, String name, String help, ToDoubleFunction<TurnServerStats> f) {
        Gauge.builder(name, server, x -> f.applyAsDouble(turn())).description(help).register(r);
    }

    private void turnDrops(MeterRegistry r, String reason, ToDoubleFunction<TurnServerStats> f) {
        FunctionCounter.builder("p2pnat.turn.dropped", server, x -> f.applyAsDouble(turn())).tag("reason", reason)
                .description("TURN messages dropped or answers held back, by reason").register(r);
    }

    private synchronized ServerStats stats() {
        refresh();
        return stats;
    }

    private synchronized TurnServerStats turn() {
        refresh();
        return turn;
    }

    private void refresh() {
        long now = System.nanoTime();
        if (stats == null || now - takenAt > SNAPSHOT_MILLIS * 1_000_000L) {
            stats = server.stats();
            turn = server.turnStats();
            takenAt = now;
        }
    }
}
