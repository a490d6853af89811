package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.server.TurnSettings;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The TURN options of `p2pnat server`. */
class TurnOptionsTest {
    private static TurnOptions parse(String... args) {
        ServerCommand cmd = new ServerCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.turn;
    }

    @Test
    void offWithoutCredentialsAndRefusedWhenAskedForWithout() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        assertNull(parse().settings(lo));
        assertThrows(Main.UsageError.class, () -> parse("--turn").settings(lo));
    }

    @Test
    void usersFileAndOptions(@TempDir Path dir) throws Exception {
        Path users = dir.resolve("users");
        Files.writeString(users, "# users\nalice:pw\n");
        TurnSettings s = parse("--turn-users", users.toString(), "--relay-ports", "40000-40100", "--realm", "ex",
                "--turn-user-quota", "3", "--turn-strict-channels", "--turn-amplification-slack", "8")
                .settings(InetAddress.getByName("127.0.0.1"));
        assertNotNull(s);
        assertEquals(40000, s.config().minPort());
        assertEquals(40100, s.config().maxPort());
        assertEquals("ex", s.config().realm());
        assertEquals(3, s.config().userQuota());
        assertFalse(s.config().rfc5766Channels());
        assertEquals(8, s.config().amplificationSlack());
        assertEquals(InetAddress.getByName("127.0.0.1"), s.config().relayAddress());
        assertNotNull(s.credentials().lookup("alice", "ex", 0));
    }

    @Test
    void secretAndRelayIpOnAWildcardBind() throws Exception {
        TurnSettings s = parse("--turn-secret", "s3cret", "--relay-ip", "192.0.2.128").settings(InetAddress.getByName("0.0.0.0"));
        assertEquals(InetAddress.getByName("192.0.2.128"), s.config().relayAddress());
        assertTrue(s.config().rfc5766Channels());
        assertNotNull(s.credentials().lookup("9999999999:bob", "p2pnat", 0));
    }

    @Test
    void badValuesAreUsageErrors(@TempDir Path dir) {
        InetAddress lo = InetAddress.getLoopbackAddress();
        assertThrows(Main.UsageError.class, () -> parse("--turn-users", dir.resolve("missing").toString()).settings(lo));
        assertThrows(Main.UsageError.class, () -> parse("--turn-secret", "x", "--relay-ports", "100-200").settings(lo));
        assertThrows(Main.UsageError.class, () -> parse("--turn-secret", "x", "--realm", "has space").settings(lo));
        assertThrows(Main.UsageError.class, () -> parse("--turn-secret", "").settings(lo));
        assertArrayEquals(new int[] {50000, 50010}, TurnOptions.ports("50000-50010"));
        assertThrows(Main.UsageError.class, () -> TurnOptions.ports("5-"));
    }

    /** Credentials minted by `p2pnat turn-credentials` allocate on a real server run with the same secret. */
    @Test
    void mintedCredentialsAllocateOnAServerWithTheSecret(@TempDir Path dir) throws Exception {
        Path secretFile = dir.resolve("secret");
        Files.writeString(secretFile, "correct horse\n");
        CliTest.Run r = CliTest.run("turn-credentials", "--turn-secret-file", secretFile.toString(), "--name", "alice",
                "--ttl", "600", "--json");
        assertEquals(0, r.exit(), r.err());
        java.util.Map<String, Object> j = Json.parse(r.out().strip());
        String user = (String) j.get("username");
        assertTrue(user.endsWith(":alice"), user);
        long expiry = Long.parseLong(user.substring(0, user.indexOf(':')));
        long now = java.time.Instant.now().getEpochSecond();
        assertTrue(expiry >= now + 590 && expiry <= now + 610, user);
        InetAddress lo = InetAddress.getLoopbackAddress();
        TurnSettings settings = parse("--turn-secret", "correct horse", "--turn-allow-loopback-peers").settings(lo);
        try (io.p2pnat.server.RendezvousServer server = io.p2pnat.server.RendezvousServer.start(
                new java.net.InetSocketAddress(lo, 0), 0, io.p2pnat.core.rendezvous.RendezvousConfig.defaults(), settings)) {
            try (io.p2pnat.server.BlockingTurnClient c = io.p2pnat.server.BlockingTurnClient.open(server.localAddress(), user,
                    (String) j.get("password"))) {
                assertNotNull(c.allocate(java.time.Duration.ofSeconds(5)));
            }
            // Another secret's password is refused (401).
            CliTest.Run other = CliTest.run("turn-credentials", "--turn-secret", "wrong", "--name", "alice", "--json");
            try (io.p2pnat.server.BlockingTurnClient c = io.p2pnat.server.BlockingTurnClient.open(server.localAddress(),
                    (String) Json.parse(other.out().strip()).get("username"), (String) Json.parse(other.out().strip()).get("password"))) {
                io.p2pnat.server.BlockingTurnClient.TurnFailure f = assertThrows(io.p2pnat.server.BlockingTurnClient.TurnFailure.class,
                        () -> c.allocate(java.time.Duration.ofSeconds(5)));
                assertEquals(401, f.code());
            }
        }
        // The browser snippet, and clear errors for bad arguments.
        CliTest.Run text = CliTest.run("turn-credentials", "--turn-secret", "s", "--server", "turn.example.com:3478", "--tls");
        assertEquals(0, text.exit(), text.err());
        assertTrue(text.out().contains("\"turns:turn.example.com:3478?transport=tcp\""), text.out());
        assertTrue(text.out().contains("\"turn:turn.example.com:3478?transport=tcp\""), text.out());
        CliTest.Run none = CliTest.run("turn-credentials", "--name", "alice");
        assertEquals(Main.EXIT_USAGE, none.exit());
        assertTrue(none.err().contains("--turn-secret"), none.err());
        CliTest.Run badTtl = CliTest.run("turn-credentials", "--turn-secret", "s", "--ttl", "5");
        assertEquals(Main.EXIT_USAGE, badTtl.exit());
        assertTrue(badTtl.err().contains("--ttl"), badTtl.err());
        CliTest.Run badName = CliTest.run("turn-credentials", "--turn-secret", "s", "--name", "a:b");
        assertEquals(Main.EXIT_USAGE, badName.exit());
        assertTrue(badName.err().contains("--name"), badName.err());
    }
}
