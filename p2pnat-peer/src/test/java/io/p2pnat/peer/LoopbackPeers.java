package io.p2pnat.peer;

import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.server.RendezvousServer;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * For tests of the library: a real rendezvous server on loopback for the test class, and peers
 * for it whose identity keys live in a temporary directory.
 */
@Timeout(30)
abstract class LoopbackPeers {
    static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    static Path keys;

    private static RendezvousServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = RendezvousServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), RendezvousConfig.defaults());
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    /** A peer registering as {@code id}, with its key in {@link #key}. */
    static Peer.Builder peer(String id) throws P2pException {
        return Peer.builder().server(server.localAddress()).id(id).identity(IdentityFile.loadOrCreateKey(key(id)));
    }

    /** Where the key of {@code id} is kept. */
    static Path key(String id) {
        return keys.resolve(id + ".key");
    }

    static InetSocketAddress serverAddress() {
        return server.localAddress();
    }

    /** A loopback UDP port nobody listens on any more. */
    static int deadPort() throws SocketException {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
