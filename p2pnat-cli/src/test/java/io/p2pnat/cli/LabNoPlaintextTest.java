package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.lab.Lab;
import io.p2pnat.lab.Scenario;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * RFC 5128 §6.3 in a real lab: no application plaintext on any path. Client A dials client B
 * ({@code peer listen}, echoing) with the library ({@link MarkerDial}) and echoes messages full of
 * a known marker while {@code tcpdump -i any} in the switch namespace captures every UDP and TCP
 * packet on every segment (both LANs, the Internet, the server's link). The marker must not appear
 * anywhere in the capture; a control datagram sent in the clear over the same NAT and segments
 * must (so the capture does see payload bytes). Direct and relayed, UDP and TCP.
 *
 * <p>The captures go to a temporary directory; {@code -Dp2pnat.pcapDir=DIR} keeps them there
 * instead, for {@code tcpdump -r}.
 */
@org.junit.jupiter.api.extension.ExtendWith(LabGate.class)
class LabNoPlaintextTest {
    private static final int COUNT = 200;
    private static final byte[] MARKER = MarkerDial.MARKER.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTROL = MarkerDial.CONTROL.getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;



    @ParameterizedTest(name = "{0} over {1}: {2}, {3}")
    @CsvSource({
        "FIGURE_3, udp, udp-hole-punch, direct",
        "FIGURE_1, udp, relay, relayed",
        "FIGURE_3, tcp, tcp-hole-punch, direct",
        "FIGURE_1, tcp, relay, relayed",
    })
    void theMarkerNeverCrossesAnySegmentInTheClear(String figure, String transport, String technique, String path)
            throws Exception {
        assertTrue(contains(MarkerDial.message(0), MARKER), "the application hands over the marker in plaintext");
        Scenario scenario = Scenario.valueOf(figure);
        Path pcap = Path.of(System.getProperty("p2pnat.pcapDir", dir.toString())).resolve(figure + "-" + transport + ".pcap");
        try (Lab lab = Lab.create(scenario); LabRun.Session session = LabRun.Session.open(lab, "clientB")) {
            Process capture = startCapture(lab, pcap);
            Map<String, Object> dial;
            String log;
            try {
                String server = lab.address("server") + ":" + LabRun.SERVER_PORT;
                Process dialer = lab.start("clientA", LabRun.javaMain(MarkerDial.class.getName(), server, "alice", "bob",
                        transport, String.valueOf(COUNT), dir.resolve("alice.key").toString(),
                        String.valueOf(LabRun.CLIENT_PORT), lab.address("server") + ":9"));
                ProcessLines out = new ProcessLines(dialer.getInputStream(), "marker-stdout");
                ProcessLines err = new ProcessLines(dialer.getErrorStream(), "marker-stderr");
                if (!dialer.waitFor(90, TimeUnit.SECONDS)) {
                    dialer.destroyForcibly();
                }
                String line = out.await(l -> l.startsWith("{\"connected\""), 2_000);
                log = "marker dial stdout: " + out.all() + "\nstderr: " + err.all();
                assertNotNull(line, log);
                dial = Json.parse(line);
                // The last echoes and the control datagram reach the capture: wait until the
                // file shows the control (up to 5 s), then a little more for anything after it.
                for (int i = 0; i < 50 && !(Files.exists(pcap) && contains(Files.readAllBytes(pcap), CONTROL)); i++) {
                    Thread.sleep(100);
                }
                Thread.sleep(300);
            } finally {
                stopCapture(capture);
            }
            String what = figure + " " + transport + ": " + dial + "\n" + log;
            assertEquals(true, dial.get("connected"), what);
            assertEquals(transport, dial.get("transport"), what);
            assertEquals(technique, dial.get("technique"), what);
            assertEquals(path, dial.get("path"), what);
            assertEquals(true, dial.get("encrypted"), what);
            assertNotNull(dial.get("peerKey"), what);
            assertEquals(String.valueOf(COUNT), String.valueOf(dial.get("echoed")), "every marker message echoed intact: " + what);
            String remote = String.valueOf(dial.get("remote"));
            assertTrue(remote.startsWith(path.equals("direct") ? "192.0.2.254:" : "192.0.2.128:"), what);

            byte[] bytes = Files.readAllBytes(pcap);
            int packets = pcapPackets(bytes);
            // Each message and its echo cross several bridge ports: far more than 2 x COUNT packets.
            assertTrue(packets >= 2 * COUNT, "the capture saw the exchange: " + packets + " packets; " + what);
            assertTrue(contains(bytes, CONTROL), "the capture holds payload bytes sent in the clear on the same path: "
                    + packets + " packets; " + what);
            assertTrue(!contains(bytes, MARKER), "plaintext marker on the wire (" + pcap + "): " + what);
            System.out.printf("lab §6.3 %s %s: %s %s via %s, %d messages echoed, %d packets captured, marker absent%n",
                    scenario.title(), transport, technique, path, dial.get("via"), COUNT, packets);
        }
    }

    private static Process startCapture(Lab lab, Path file) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", lab.switchNamespace(), "tcpdump", "-i", "any",
                "-n", "-s", "0", "-U", "--immediate-mode", "-Z", "root", "-w", file.toString(), "udp", "or", "tcp"));
        Process p = new ProcessBuilder(cmd).start();
        ProcessLines err = new ProcessLines(p.getErrorStream(), "tcpdump-stderr");
        if (err.await(l -> l.contains("listening on"), 10_000) == null) {
            p.destroyForcibly();
            throw new IOException("tcpdump did not start: " + err.all());
        }
        return p;
    }

    private static void stopCapture(Process p) throws InterruptedException {
        p.destroy(); // SIGTERM: tcpdump flushes and closes the file
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }

    /** Packet records in a classic pcap file (either byte order). */
    static int pcapPackets(byte[] pcap) {
        if (pcap.length < 24) {
            return 0;
        }
        ByteBuffer b = ByteBuffer.wrap(pcap).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt(0);
        if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
            b.order(ByteOrder.BIG_ENDIAN);
        }
        int n = 0;
        int at = 24;
        while (at + 16 <= pcap.length) {
            int incl = b.getInt(at + 8);
            if (incl < 0 || at + 16 + incl > pcap.length) {
                break;
            }
            at += 16 + incl;
            n++;
        }
        return n;
    }

    static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (haystack[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
