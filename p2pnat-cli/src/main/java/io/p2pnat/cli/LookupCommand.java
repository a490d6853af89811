package io.p2pnat.cli;

import io.p2pnat.peer.P2pException;
import io.p2pnat.peer.Peer;
import io.p2pnat.peer.PeerInfo;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `p2pnat peer lookup`: discovery, what the server knows of a peer, without contacting it. */
@Command(name = "lookup", mixinStandardHelpOptions = true,
        description = {"Ask the server whether PEER is registered, and print its endpoints and key fingerprint",
                "(discovery; the peer itself is not contacted). Exit 1 when it is not registered.",
                "Pin the key with 'peer dial --expect-key FINGERPRINT' to refuse anyone else under that id."})
final class LookupCommand implements Callable<Integer> {
    @Mixin
    PeerOptions opts;

    @Parameters(index = "0", paramLabel = "PEER", description = "The peer id to look up.")
    String target;

    @Option(names = "--timeout", paramLabel = "S", defaultValue = "5", description = "Seconds to wait for the server (default: ${DEFAULT-VALUE}).")
    double timeout;

    @Override
    public Integer call() throws Exception {
        opts.checkTransport("udp", false);
        if (!Peer.isValidId(target)) {
            throw new Main.UsageError("bad PEER '" + target + "'");
        }
        if (!(timeout > 0 && timeout <= 3600)) {
            throw new Main.UsageError("bad --timeout " + timeout);
        }
        try (Peer peer = opts.start(false)) {
            PeerInfo info = peer.lookup(target, Duration.ofMillis((long) (timeout * 1000)));
            if (opts.json) {
                System.out.println(new Json().put("found", true).put("peer", info.id())
                        .put("publicEndpoint", Text.endpoint(info.publicEndpoint()))
                        .put("privateEndpoints", commas(info.privateEndpoints()))
                        .put("tcpPublicEndpoint", Text.endpoint(info.tcpPublicEndpoint()))
                        .put("tcpPrivateEndpoints", commas(info.tcpPrivateEndpoints()))
                        .put("peerKey", info.keyFingerprint()));
            } else {
                System.out.println(info.id() + " is registered: public " + Text.endpoint(info.publicEndpoint()) + ", private "
                        + list(info.privateEndpoints()));
                if (info.tcpPublicEndpoint() != null) {
                    System.out.println("tcp: public " + Text.endpoint(info.tcpPublicEndpoint()) + ", private "
                            + list(info.tcpPrivateEndpoints()));
                }
                System.out.println("peer key " + (info.keyFingerprint() == null ? "none" : info.keyFingerprint()));
            }
            return 0;
        } catch (P2pException e) {
            if (opts.json) {
                System.out.println(new Json().put("found", false).put("peer", target).put("error", e.getMessage())
                        .put("reason", PeerOptions.reason(e)));
                System.out.flush();
            }
            throw e;
        }
    }

    /** A list in the CLI's flat JSON: comma-separated, as natcheck's newMappingPorts (null when empty). */
    private static String commas(List<InetSocketAddress> l) {
        return l.isEmpty() ? null : String.join(",", l.stream().map(Text::endpoint).toList());
    }

    private static String list(List<InetSocketAddress> l) {
        return l.isEmpty() ? "none" : String.join(", ", l.stream().map(Text::endpoint).toList());
    }
}
