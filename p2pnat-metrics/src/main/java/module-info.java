/** Prometheus metrics for the rendezvous/TURN server (Micrometer), served over HTTP. */
// Micrometer ships automatic modules only (Automatic-Module-Name in its manifests).
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.p2pnat.metrics {
    // ServerMetrics and MetricsEndpoint take a RendezvousServer and a MeterRegistry.
    requires transitive io.p2pnat.server;
    requires transitive micrometer.core;
    requires micrometer.registry.prometheus;
    requires jdk.httpserver;

    exports io.p2pnat.metrics;
}
