package io.p2pnat.cli;

import io.p2pnat.peer.Connection;
import io.p2pnat.peer.ConnectionInfo;
import io.p2pnat.peer.P2pException;
import io.p2pnat.peer.Peer;
import io.p2pnat.peer.StreamConnection;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** `p2pnat peer listen`: register, accept connections, echo what arrives. */
@Command(name = "listen", mixinStandardHelpOptions = true,
        description = {"Register with the server under --id, accept connections from dialing peers and echo",
                "every message back. With --json, one JSON line per accepted connection on stdout."})
final class ListenCommand implements Callable<Integer> {
    @Mixin
    PeerOptions opts;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        opts.checkTransport("both", true);
        boolean wantUdp = !opts.transport.equals("tcp");
        boolean tcp = !opts.transport.equals("udp");
        // With both transports, a server that does not take the TCP registration leaves us on UDP.
        Peer peer = opts.start(tcp, opts.transport.equals("both"));
        if (tcp && peer.tcpUnavailable() != null) {
            System.err.println("p2pnat: warning: no TCP (" + peer.tcpUnavailable() + "); listening on UDP only");
            tcp = false;
        }
        startStreamAcceptor(peer, out); // streams come over UDP sessions too
        Runtime.getRuntime().addShutdownHook(new Thread(peer::close, "p2pnat-listen-shutdown"));
        System.err.println("registered as " + opts.id + (tcp ? " (udp+tcp)" : " (udp)") + " with key " + peer.keyFingerprint() + " at " + Text.endpoint(peer.server())
                + "; public endpoint " + Text.endpoint(peer.publicEndpoint()) + ", private "
                + peer.privateEndpoints().stream().map(Text::endpoint).collect(Collectors.joining(", ", "[", "]")));
        System.err.flush();
        // What we measured of our NAT: mapping now, filtering a moment later.
        peer.onNatMeasured(nat -> {
            synchronized (out) {
                if (opts.json) {
                    out.println(NatJson.put(new Json().put("event", "nat"), nat));
                    out.flush();
                } else {
                    System.err.println(nat.describe());
                    System.err.flush();
                }
            }
        });
        while (true) {
            if (!wantUdp) {
                Thread.sleep(1000);
                continue;
            }
            Connection c = peer.accept(Duration.ofSeconds(1));
            if (c == null) {
                continue;
            }
            ConnectionInfo info = c.initialInfo();
            if (opts.json) {
                out.println(ConnectionJson.describe(new Json().put("event", "connected"), info));
            } else {
                out.println("connection from " + info.peer() + " by " + info.technique().wireName() + ", " + info.path()
                        + " via " + info.via().wireName() + " " + Text.endpoint(info.remote()) + " in "
                        + Text.millis(info.setupNanos()) + " ms; echoing");
            }
            out.flush();
            ConnectionJson.printPathEvents(c, out, opts.json);
            c.onPathChange(newInfo -> {
                synchronized (out) {
                    if (opts.json) {
                        out.println(ConnectionJson.pathChange(newInfo));
                    } else {
                        out.println("connection from " + newInfo.peer() + " moved to " + newInfo.technique().wireName()
                                + ", " + newInfo.path() + " via " + newInfo.via().wireName() + " " + Text.endpoint(newInfo.remote()));
                    }
                    out.flush();
                }
            });
            Thread t = new Thread(() -> echo(c), "echo-" + info.peer());
            t.setDaemon(true);
            t.start();
        }
    }

    private void startStreamAcceptor(Peer peer, PrintStream out) {
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    StreamConnection c = peer.acceptStream(Duration.ofSeconds(1));
                    if (c == null) {
                        continue;
                    }
                    ConnectionInfo info = c.info();
                    synchronized (out) {
                        if (opts.json) {
                            out.println(ConnectionJson.describe(new Json().put("event", "connected"), info));
                        } else {
                            out.println(info.transport() + " stream from " + info.peer() + " by " + info.technique().wireName() + ", "
                                    + info.path() + " via " + info.via().wireName() + " " + Text.endpoint(info.remote())
                                    + "; echoing");
                        }
                        out.flush();
                    }
                    Thread e = new Thread(() -> StreamEcho.serve(c), "stream-echo-" + info.peer());
                    e.setDaemon(true);
                    e.start();
                }
            } catch (P2pException | InterruptedException e) {
                // peer closed
            }
        }, "stream-acceptor");
        t.setDaemon(true);
        t.start();
    }

    private static void echo(Connection c) {
        try {
            while (true) {
                byte[] m = c.receive(Duration.ofSeconds(60));
                if (m != null) {
                    c.send(m);
                }
            }
        } catch (P2pException | InterruptedException e) {
            // connection closed: nothing more to echo
        }
    }
}
