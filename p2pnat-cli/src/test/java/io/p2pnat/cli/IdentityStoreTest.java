package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.core.secure.Identity;
import io.p2pnat.peer.P2pException;
import io.p2pnat.peer.Peer;
import io.p2pnat.server.FileIdentityStore;
import io.p2pnat.server.RendezvousServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * A server started with an identity store ({@code p2pnat server --identities FILE}) keeps peer ids
 * bound to their identity keys across a restart (RFC 5128 §6.3): without it, whoever registers
 * "bob" first after a restart gets the id. Real server, real peers, on loopback.
 */
@Isolated
class IdentityStoreTest {
    private static RendezvousServer start(Path file) throws IOException {
        return RendezvousServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                RendezvousServer.NO_ALTERNATE_PORT, RendezvousConfig.defaults(), null, new FileIdentityStore(file));
    }

    private static Peer bob(RendezvousServer s, Identity identity) throws P2pException {
        return Peer.builder().server("127.0.0.1:" + s.localAddress().getPort()).id("bob").identity(identity).start();
    }

    @Test
    void aRestartedServerStillRefusesAnotherKeyForAKnownId(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("identities.txt");
        Identity real = Identity.generate();
        RendezvousServer first = start(file);
        try (Peer p = bob(first, real)) {
            assertTrue(p.publicEndpoint() != null);
        } finally {
            first.close();
        }
        assertEquals(1, Files.readAllLines(file).size(), "one line per bound id");
        assertTrue(Files.readString(file).startsWith("bob "), Files.readString(file));

        RendezvousServer second = start(file);
        try {
            assertEquals(1, second.identitiesLoaded());
            P2pException e = assertThrows(P2pException.class, () -> bob(second, Identity.generate()).close(),
                    "an impostor took bob's id after the restart");
            assertTrue(e.getMessage().contains("bob"), e.getMessage());
            try (Peer p = bob(second, real)) {
                assertTrue(p.publicEndpoint() != null, "the real bob registers again");
            }
        } finally {
            second.close();
        }
        assertEquals(1, Files.readAllLines(file).size(), "a known binding is not written again");
    }

    @Test
    void aMalformedStoreStopsTheServerWithItsLineAndTheCliSaysSo(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("identities.txt");
        Files.writeString(file, "# kept by p2pnat server\nbob 00ff\n");
        IOException e = assertThrows(IOException.class, () -> start(file).close());
        assertTrue(e.getMessage().contains(file + ":2"), e.getMessage());

        CliTest.Run r = CliTest.run("server", "--port", "0", "--identities", file.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("bad --identities") && r.err().contains(":2: expected '<peer id> <64 hex digits>'"), r.err());
        CliTest.Run noDir = CliTest.run("server", "--port", "0", "--identities", dir.resolve("missing/ids.txt").toString());
        assertEquals(2, noDir.exit(), noDir.err());
        assertTrue(noDir.err().contains("no directory"), noDir.err());
    }
}
