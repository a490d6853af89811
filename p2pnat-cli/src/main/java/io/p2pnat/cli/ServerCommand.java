package io.p2pnat.cli;

import io.p2pnat.server.RendezvousServer;
import io.p2pnat.server.ServerConfig;
import io.p2pnat.server.TurnSettings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `p2pnat server`: the public rendezvous server. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Run the rendezvous server: registration, discovery, introduction and relay.",
                "UDP and TCP on one port: STUN Binding for anyone, registration, discovery and introduction of",
                "peers (RFC 5128 §3.3), and relaying when nothing else works (§3.1). Runs until interrupted.",
                "With --turn-users or --turn-secret it is also a TURN server (RFC 8656) on the same port."})
final class ServerCommand implements Callable<Integer> {
    @Option(names = "--bind", paramLabel = "IP", defaultValue = "0.0.0.0", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--port", paramLabel = "N", defaultValue = "3478", description = "UDP port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--alt-port", paramLabel = "N",
            description = "Alternate UDP port answering STUN Binding, for NAT mapping detection (default: --port + 1; 0: none).")
    Integer altPort;

    @Option(names = "--alt-ip", paramLabel = "IP",
            description = "A second local IP address for NAT behaviour discovery (RFC 5780): the server also answers"
                    + " from IP:PORT and IP:ALT-PORT, so `p2pnat natcheck` can run every test. Needs --bind IP.")
    String altIp;

    @Option(names = "--lifetime", paramLabel = "S", defaultValue = "60",
            description = "Seconds a registration lives without keepalives (default: ${DEFAULT-VALUE}).")
    int lifetime;

    @Option(names = "--metrics-port", paramLabel = "N", defaultValue = "0",
            description = "Serve Prometheus metrics on http://BIND:N/metrics (default 0: off).")
    int metricsPort;

    @Option(names = "--metrics-bind", paramLabel = "IP",
            description = "Address for --metrics-port (default: the --bind address; e.g. 127.0.0.1 to keep metrics local).")
    String metricsBind;

    @Option(names = "--identities", paramLabel = "FILE",
            description = {"Keep the peer-id-to-identity-key bindings in FILE across restarts (created if missing):"
                    + " a restarted server still refuses another key for a known id. Without it they live in memory only."})
    java.nio.file.Path identities;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = {"PEM certificate chain: the TCP port also accepts TLS (TURN over TLS, turns:), with --tls-key."})
    java.nio.file.Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = {"PEM private key (PKCS#8, unencrypted) of --tls-cert."})
    java.nio.file.Path tlsKey;

    @ArgGroup(exclusive = false, heading = "%nTURN (RFC 8656; off unless credentials are given):%n")
    TurnOptions turn = new TurnOptions();

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new Main.UsageError("bad --port " + port + ": must be 0-65535");
        }
        if (lifetime < 2 || lifetime > 3600) {
            throw new Main.UsageError("bad --lifetime " + lifetime + ": must be 2-3600 seconds");
        }
        InetAddress ip;
        try {
            ip = InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            throw new Main.UsageError("bad --bind '" + bind + "': not an IP address");
        }
        if (metricsPort < 0 || metricsPort > 65535) {
            throw new Main.UsageError("bad --metrics-port " + metricsPort + ": must be 1-65535 (0: no metrics)");
        }
        if (metricsBind != null && metricsPort == 0) {
            throw new Main.UsageError("--metrics-bind goes with --metrics-port N");
        }
        InetAddress metricsIp = ip;
        if (metricsBind != null) {
            if (!metricsBind.matches("[0-9.]+|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*")) {
                throw new Main.UsageError("bad --metrics-bind '" + metricsBind + "': not an IP address");
            }
            try {
                metricsIp = InetAddress.getByName(metricsBind);
            } catch (UnknownHostException e) {
                throw new Main.UsageError("bad --metrics-bind '" + metricsBind + "': not an IP address");
            }
        }
        ServerConfig config = ServerConfig.defaults().withRegistrationLifetime(Duration.ofSeconds(lifetime));
        int alt = altPort == null ? (port == 0 ? 0 : port + 1) : altPort == 0 ? RendezvousServer.NO_ALTERNATE_PORT : altPort;
        if (altPort != null && (altPort < 0 || altPort > 65535 || (altPort != 0 && altPort == port))) {
            throw new Main.UsageError("bad --alt-port " + altPort + ": must be 0 (none) or 1-65535 and differ from --port");
        }
        if (alt > 65535) {
            alt = RendezvousServer.NO_ALTERNATE_PORT;
        }
        TurnSettings turnSettings = turn.settings(ip);
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new Main.UsageError("--tls-cert and --tls-key go together");
        }
        io.p2pnat.server.ServerTls tls = null;
        if (tlsCert != null) {
            try {
                tls = io.p2pnat.server.ServerTls.fromPem(tlsCert, tlsKey);
            } catch (java.io.IOException e) {
                throw new Main.UsageError("bad --tls-cert/--tls-key: " + e.getMessage());
            }
        }
        InetAddress second = altIpAddress(ip, alt);
        io.p2pnat.server.FileIdentityStore store = identities == null ? null : new io.p2pnat.server.FileIdentityStore(identities);
        RendezvousServer server;
        try {
            server = RendezvousServer.start(new InetSocketAddress(ip, port), alt, config, turnSettings, store);
        } catch (java.io.IOException e) {
            if (store != null && store.file() != null && e.getMessage() != null && e.getMessage().contains(store.file().toString())) {
                throw new Main.UsageError("bad --identities: " + e.getMessage());
            }
            throw e;
        }
        String discovery;
        try {
            discovery = server.enableBehaviorDiscovery(second).describe();
        } catch (java.io.IOException | RuntimeException e) {
            server.close();
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (tls != null) {
            server.enableTls(tls);
        }
        io.p2pnat.metrics.MetricsEndpoint metrics = null;
        if (metricsPort != 0) {
            try {
                metrics = io.p2pnat.metrics.MetricsEndpoint.start(server, new InetSocketAddress(metricsIp, metricsPort));
            } catch (java.io.IOException e) {
                server.close();
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        }
        io.p2pnat.metrics.MetricsEndpoint metricsEndpoint = metrics;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (metricsEndpoint != null) {
                metricsEndpoint.close();
            }
            server.close();
        }, "p2pnat-server-shutdown"));
        System.err.println("p2pnat server listening on udp " + Text.endpoint(server.localAddress())
                + (server.alternateAddress() == null ? "" : " (alternate port " + server.alternateAddress().getPort() + ")")
                + " and tcp " + Text.endpoint(server.tcpLocalAddress())
                + (tls == null ? "" : " (plain or TLS as " + tls.subject() + ")"));
        if (turnSettings != null) {
            System.err.println(TurnOptions.describe(turnSettings, tls != null));
        }
        System.err.println(discovery);
        if (metrics != null) {
            System.err.println("metrics on http://" + Text.endpoint(metrics.localAddress()) + "/metrics");
        }
        if (store != null) {
            System.err.println("identities kept in " + identities + " (" + server.identitiesLoaded() + " ids bound at start)");
        }
        System.err.flush();
        server.awaitClose();
        return 0;
    }

    /** The parsed --alt-ip, or null; checked against --bind and the alternate port. */
    private InetAddress altIpAddress(InetAddress bindIp, int alt) {
        if (altIp == null) {
            return null;
        }
        InetAddress second;
        try {
            second = InetAddress.getByName(altIp);
        } catch (UnknownHostException e) {
            throw new Main.UsageError("bad --alt-ip '" + altIp + "': not an IP address");
        }
        if (bindIp.isAnyLocalAddress()) {
            throw new Main.UsageError("--alt-ip needs --bind IP: RFC 5780 answers name the address they leave from");
        }
        if (second.equals(bindIp) || second.getAddress().length != bindIp.getAddress().length) {
            throw new Main.UsageError("bad --alt-ip " + altIp + ": must differ from --bind and be of the same family");
        }
        if (alt == RendezvousServer.NO_ALTERNATE_PORT) {
            throw new Main.UsageError("--alt-ip needs an alternate port (--alt-port N, not 0)");
        }
        return second;
    }
}
