package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.peer.IdentityKey;
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

    private static Peer bob(RendezvousServer s, IdentityKey identity) throws P2pException {
        return Peer.builder().server("127.0.0.1:" + s.localAddress().getPort()).id("bob").identity(identity).start();
    }

    @Test
    void aRestartedServerStillRefusesAnotherKeyForAKnownId(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("identities.txt");
        IdentityKey real = IdentityKey.generate();
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
            P2pException e = assertThrows(P2pException.class, () -> bob(second, IdentityKey.generate()).close(),
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

    /**
     * A re-keyed device: its id is taken by its old key, so the operator stops the server,
     * releases the id with `p2pnat identities forget`, and starts the server again; the new key
     * then gets the id. While the server runs, the file is locked: neither a second server nor
     * forget can touch it.
     */
    @Test
    void aReleasedIdCanBeRegisteredWithANewKeyAndARunningServerKeepsItsFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("identities.txt");
        IdentityKey old = IdentityKey.generate();
        IdentityKey renewed = IdentityKey.generate();
        RendezvousServer first = start(file);
        try {
            try (Peer p = bob(first, old)) {
                assertTrue(p.publicEndpoint() != null);
            }
            try (Peer p = alice(first)) {
                assertTrue(p.publicEndpoint() != null);
            }
            IOException second = assertThrows(IOException.class, () -> start(file).close());
            assertTrue(second.getMessage().contains("in use by a running p2pnat server"), second.getMessage());
            CliTest.Run busy = CliTest.run("identities", "forget", "--file", file.toString(), "bob");
            assertEquals(Main.EXIT_FAILURE, busy.exit(), busy.err());
            assertTrue(busy.err().contains("in use by a running p2pnat server") && busy.err().contains("nothing released"), busy.err());
            assertThrows(P2pException.class, () -> bob(first, renewed).close(), "the old key holds the id");
        } finally {
            first.close();
        }

        CliTest.Run list = CliTest.run("identities", "list", "--file", file.toString());
        assertEquals(0, list.exit(), list.err());
        assertTrue(list.out().contains("bob " + old.fingerprint()) && list.out().contains("alice "), list.out());
        CliTest.Run forget = CliTest.run("identities", "forget", "--file", file.toString(), "bob", "carol");
        assertEquals(Main.EXIT_FAILURE, forget.exit(), "carol was not bound: " + forget.out());
        assertTrue(forget.out().contains("bob released") && forget.out().contains("carol was not bound"), forget.out());
        assertEquals(1, Files.readAllLines(file).size(), "alice stays: " + Files.readString(file));

        RendezvousServer again = start(file);
        try {
            assertEquals(1, again.identitiesLoaded());
            try (Peer p = bob(again, renewed)) {
                assertTrue(p.publicEndpoint() != null, "the new key gets the released id");
            }
            assertThrows(P2pException.class, () -> bob(again, old).close(), "and now holds it");
        } finally {
            again.close();
        }
        CliTest.Run missing = CliTest.run("identities", "forget", "--file", dir.resolve("nope.txt").toString(), "bob");
        assertEquals(Main.EXIT_USAGE, missing.exit(), missing.err());
        assertTrue(missing.err().contains("no such file"), missing.err());
    }

    private static Peer alice(RendezvousServer s) throws P2pException {
        return Peer.builder().server("127.0.0.1:" + s.localAddress().getPort()).id("alice").identity(IdentityKey.generate()).start();
    }
}
