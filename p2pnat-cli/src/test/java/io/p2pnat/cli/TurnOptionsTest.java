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
}
