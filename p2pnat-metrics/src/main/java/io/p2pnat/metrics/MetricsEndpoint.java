package io.p2pnat.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.p2pnat.server.RendezvousServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * A Prometheus endpoint for a running {@link RendezvousServer}: {@code GET /metrics} answers the
 * text exposition format (version 0.0.4) of {@link ServerMetrics}' meters; anything else is 404.
 * One small daemon thread serves it (the JDK's HTTP server); the server's event loop is touched
 * once per scrape.
 *
 * <pre>{@code
 * try (MetricsEndpoint m = MetricsEndpoint.start(server, new InetSocketAddress(9464))) { ... }
 * }</pre>
 */
public final class MetricsEndpoint implements AutoCloseable {
    private final HttpServer http;
    private final PrometheusMeterRegistry registry;

    private MetricsEndpoint(HttpServer http, PrometheusMeterRegistry registry) {
        this.http = http;
        this.registry = registry;
    }

    /**
     * Binds {@code at} (port 0: any free one) and serves the server's metrics.
     *
     * @param server the server whose metrics to serve
     * @param at     the HTTP address to listen on
     * @return the running endpoint; close it to stop
     * @throws IOException if the address cannot be bound
     */
    public static MetricsEndpoint start(RendezvousServer server, InetSocketAddress at) throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ServerMetrics.bind(server, registry);
        HttpServer http;
        try {
            http = HttpServer.create(at, 16);
        } catch (IOException e) {
            registry.close();
            throw new IOException("cannot listen on " + at.getAddress().getHostAddress() + ":" + at.getPort()
                    + " for metrics: " + e.getMessage(), e);
        }
        http.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "p2pnat-metrics");
            t.setDaemon(true);
            return t;
        }));
        http.createContext("/", ex -> answer(ex, registry));
        http.start();
        return new MetricsEndpoint(http, registry);
    }

    private static void answer(HttpExchange ex, PrometheusMeterRegistry registry) throws IOException {
        try (ex) {
            if (!"/metrics".equals(ex.getRequestURI().getPath())) {
                send(ex, 404, "text/plain; charset=utf-8", "not found: metrics are at /metrics\n");
                return;
            }
            if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
                send(ex, 405, "text/plain; charset=utf-8", "use GET\n");
                return;
            }
            String body;
            try {
                body = registry.scrape();
            } catch (RuntimeException e) {
                send(ex, 503, "text/plain; charset=utf-8", "the server did not answer: " + e.getMessage() + "\n");
                return;
            }
            send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", body);
        }
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        boolean head = "HEAD".equals(ex.getRequestMethod());
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** {@return the bound address (the real port when 0 was asked for)} */
    public InetSocketAddress localAddress() {
        return http.getAddress();
    }

    @Override
    public void close() {
        http.stop(0);
        registry.close();
    }
}
