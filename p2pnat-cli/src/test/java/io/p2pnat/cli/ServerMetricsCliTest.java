package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** `p2pnat server --metrics-port N` as an operator runs it: the start-up line names the endpoint, which serves Prometheus text. */
class ServerMetricsCliTest {
    @Test
    void serverServesPrometheusMetrics() throws Exception {
        int metricsPort;
        try (ServerSocket s = new ServerSocket(0)) {
            metricsPort = s.getLocalPort();
        }
        Process p = new ProcessBuilder(LabRun.java("server", "--bind", "127.0.0.1", "--port", "0", "--metrics-port",
                String.valueOf(metricsPort), "--turn-secret", "s3cret")).start();
        try {
            ProcessLines err = new ProcessLines(p.getErrorStream(), "server");
            String line = err.await(l -> l.startsWith("metrics on http://"), 20_000);
            assertNotNull(line, "no metrics line from the server");
            assertEquals("metrics on http://127.0.0.1:" + metricsPort + "/metrics", line);
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(line.substring(11)))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            for (String series : new String[] {"\np2pnat_registered_peers 0.0", "\np2pnat_turn_allocations 0.0",
                    "\np2pnat_unauthenticated_answers_refused_total 0.0", "# TYPE p2pnat_introductions_total counter"}) {
                assertTrue(r.body().contains(series), series + " missing in\n" + r.body());
            }
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
