package io.p2pnat.cli;

import io.p2pnat.peer.Peer;
import io.p2pnat.peer.P2pException;
import picocli.CommandLine.Option;

/** Options every peer command shares. */
final class PeerOptions {
    @Option(names = "--server", required = true, paramLabel = "IP[:PORT]", description = "Rendezvous server (default port 3478).")
    String server;

    @Option(names = "--id", required = true, paramLabel = "NAME", description = "Our peer id at the server.")
    String id;

    @Option(names = "--local-port", paramLabel = "N", defaultValue = "0", description = "Local UDP port (default: any).")
    int localPort;

    @Option(names = "--json", description = "Machine-readable output.")
    boolean json;

    @Option(names = "--key", paramLabel = "FILE",
            description = "Identity key file, created on first use with owner-only permissions (default: ~/.p2pnat/keys/ID.key).")
    java.nio.file.Path keyFile;

    @Option(names = "--no-relay", description = "Never fall back to the server's relay: direct paths only.")
    boolean noRelay;

    @Option(names = "--punch-budget", paramLabel = "MS", defaultValue = "1000",
            description = "Milliseconds hole punching gets before the relay carries the session (default: ${DEFAULT-VALUE}).")
    long punchBudgetMs;

    @Option(names = "--transport", paramLabel = "udp|tcp|stream",
            description = "udp (datagrams), tcp (a byte stream by TCP hole punching, RFC 5128 §3.4) or, for dial, "
                    + "stream (a reliable stream over the best path: QUIC in the UDP session, direct or relayed, "
                    + "or TCP when UDP has no direct path). dial: udp by default; listen: both by default "
                    + "(a listener always takes streams over UDP).")
    String transport;

    boolean tcp() {
        return "tcp".equals(transport);
    }

    boolean stream() {
        return "stream".equals(transport);
    }

    /** Validates --transport for dial: udp, tcp or stream. */
    void checkDialTransport() {
        if (transport == null) {
            transport = "udp";
        }
        if (!transport.equals("udp") && !transport.equals("tcp") && !transport.equals("stream")) {
            throw new Main.UsageError("bad --transport '" + transport + "': use udp, tcp or stream");
        }
    }

    /** Validates --transport, filling in the command's default. */
    void checkTransport(String dflt, boolean allowBoth) {
        if (transport == null) {
            transport = dflt;
        }
        if (!transport.equals("udp") && !transport.equals("tcp") && !(allowBoth && transport.equals("both"))) {
            throw new Main.UsageError("bad --transport '" + transport + "': use udp or tcp" + (allowBoth ? " or both" : ""));
        }
    }

    Peer start() throws P2pException {
        return start(tcp());
    }

    Peer start(boolean withTcp) throws P2pException {
        return start(withTcp, false);
    }

    /** {@code tcpOptional}: UDP alone when the server does not take the TCP registration. */
    Peer start(boolean withTcp, boolean tcpOptional) throws P2pException {
        if (!Peer.isValidId(id)) {
            throw new Main.UsageError("bad --id '" + id + "': use 1-64 letters, digits, '.', '_', '-' or '@'");
        }
        if (localPort < 0 || localPort > 65535) {
            throw new Main.UsageError("bad --local-port " + localPort + ": must be 0-65535");
        }
        if (punchBudgetMs < 1 || punchBudgetMs > 600_000) {
            throw new Main.UsageError("bad --punch-budget " + punchBudgetMs + ": must be 1-600000 ms");
        }
        Peer.Builder b;
        try {
            java.nio.file.Path key = keyFile != null ? keyFile
                    : java.nio.file.Path.of(System.getProperty("user.home"), ".p2pnat", "keys", id + ".key");
            b = Peer.builder().server(server).id(id).localPort(localPort).identity(io.p2pnat.peer.IdentityFile.loadOrCreateKey(key))
                    .relay(!noRelay).punchBudget(java.time.Duration.ofMillis(punchBudgetMs)).tcp(withTcp).tcpOptional(tcpOptional);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageError("bad --server: " + e.getMessage());
        }
        return b.start();
    }

    /** A failure's reason as the JSON output spells it: "unknown-peer", "peer-unreachable", ... */
    static String reason(io.p2pnat.peer.P2pException e) {
        return e.reason().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
