package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.server.RendezvousServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * `peer send` and `peer receive` as a user runs them, on loopback: the receiver in its own JVM,
 * the sender in this one; files arrive byte for byte, nothing is overwritten, the receiver exits
 * after --count files, and bad arguments get a one-line usage error.
 */
@Isolated
@Timeout(120)
class FileTransferCliTest {
    @TempDir
    Path dir;

    @Test
    void filesArriveExactlyAndNothingIsOverwritten() throws Exception {
        try (RendezvousServer server = RendezvousServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                RendezvousConfig.defaults())) {
            String serverArg = "127.0.0.1:" + server.localAddress().getPort();
            Path inbox = dir.resolve("inbox");
            Path file = dir.resolve("data.bin");
            byte[] bytes = new byte[3_000_000];
            new Random(5).nextBytes(bytes);
            Files.write(file, bytes);

            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "io.p2pnat.cli.Main", "peer", "receive", inbox.toString(),
                    "--server", serverArg, "--id", "rx", "--key", dir.resolve("rx.key").toString(), "--json", "--count", "2"));
            Process receiver = new ProcessBuilder(cmd).redirectErrorStream(false).start();
            try {
                BufferedReader err = new BufferedReader(new InputStreamReader(receiver.getErrorStream(), StandardCharsets.UTF_8));
                String line = err.readLine();
                assertTrue(line != null && line.startsWith("registered as rx"), "receiver did not register: " + line);

                for (int i = 0; i < 2; i++) {
                    CliTest.Run r = CliTest.run("peer", "send", file.toString(), "--to", "rx", "--server", serverArg, "--id", "tx",
                            "--key", dir.resolve("tx.key").toString(), "--json");
                    assertEquals(0, r.exit(), r.out() + r.err());
                    String sent = r.out().lines().filter(l -> l.contains("\"event\":\"sent\"")).findFirst().orElse("");
                    assertTrue(sent.contains("\"ok\":true") && sent.contains("\"bytes\":3000000")
                            && sent.contains("\"transport\":\"quic\"") && sent.contains("\"mbPerSecond\":"), sent);
                }
                assertTrue(receiver.waitFor(30, TimeUnit.SECONDS), "the receiver did not exit after --count 2");
                assertEquals(0, receiver.exitValue());
                String out = new String(receiver.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(2, out.lines().filter(l -> l.contains("\"event\":\"received\"") && l.contains("\"ok\":true")).count(), out);
            } finally {
                receiver.destroyForcibly();
            }
            assertArrayEquals(bytes, Files.readAllBytes(inbox.resolve("data.bin")));
            assertArrayEquals(bytes, Files.readAllBytes(inbox.resolve("data.bin.1")), "the second copy did not overwrite the first");
            try (var left = Files.list(inbox)) {
                assertEquals(2, left.count(), "no partial files are left behind");
            }
        }
    }

    @Test
    void badArgumentsSayWhatIsWrong() throws Exception {
        CliTest.Run missing = CliTest.run("peer", "send", dir.resolve("nope.bin").toString(), "--to", "rx", "--server", "127.0.0.1:9",
                "--id", "tx");
        assertEquals(Main.EXIT_USAGE, missing.exit());
        assertTrue(missing.err().contains("no such file"), missing.err());
        Path f = Files.writeString(dir.resolve("x.txt"), "x");
        CliTest.Run badPeer = CliTest.run("peer", "send", f.toString(), "--to", "not a peer", "--server", "127.0.0.1:9", "--id", "tx");
        assertEquals(Main.EXIT_USAGE, badPeer.exit());
        assertTrue(badPeer.err().contains("bad --to"), badPeer.err());
        CliTest.Run badTransport = CliTest.run("peer", "send", f.toString(), "--to", "rx", "--server", "127.0.0.1:9", "--id", "tx",
                "--transport", "udp");
        assertEquals(Main.EXIT_USAGE, badTransport.exit());
        assertTrue(badTransport.err().contains("stream (default) or tcp"), badTransport.err());
        Path notDir = Files.writeString(dir.resolve("file-not-dir"), "x");
        CliTest.Run badDir = CliTest.run("peer", "receive", notDir.resolve("sub").toString(), "--server", "127.0.0.1:9", "--id", "rx");
        assertEquals(Main.EXIT_USAGE, badDir.exit());
        assertTrue(badDir.err().contains("cannot use DIR"), badDir.err());
        assertTrue(new File(dir.toFile(), "file-not-dir").isFile());
    }
}
