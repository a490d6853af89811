package io.p2pnat.server.interop;

import java.io.File;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.TransactionId;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.util.Random;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * coturn's programs (the reference TURN implementation) on loopback, for the interoperability
 * tests and {@code p2pnat bench turn}: {@code turnserver}, {@code turnutils_peer} (a UDP echo) and
 * {@code turnutils_uclient} (a load client), each a child process killed with its descendants on
 * close. {@code scripts/install-coturn} installs them.
 */
public final class Coturn {
    public static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** What to tell a user who lacks coturn. */
    public static final String MISSING = "coturn (turnserver, turnutils_uclient, turnutils_peer) is not installed: "
            + "run scripts/install-coturn as root";

    private Coturn() {
    }

    /** True if turnserver, turnutils_uclient and turnutils_peer are on the PATH. */
    public static boolean installed() {
        return onPath("turnserver") && onPath("turnutils_uclient") && onPath("turnutils_peer");
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    /** A free UDP port on loopback (free when asked; good enough for tests). */
    public static int freePort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            return s.getLocalPort();
        }
    }

    /** A start for a block of {@code n} relay ports, picked at random in 20000-39999. */
    public static int relayBase(int n) {
        return 20000 + ThreadLocalRandom.current().nextInt((20000 - n) / 2) * 2;
    }

    /** A running process, killed (with its children) on close; output goes to a file. */
    public static final class Proc implements AutoCloseable {
        private final Process process;
        private final Path log;

        /** Starts {@code command}, its output (stdout and stderr) going to {@code log}. */
        public Proc(List<String> command, Path log) throws IOException {
            this.log = log;
            this.process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        }

        public String output() throws IOException {
            return Files.readString(log, StandardCharsets.UTF_8);
        }

        /** Waits for the process to end; false on time-out. */
        public boolean await(long seconds) throws InterruptedException {
            return process.waitFor(seconds, TimeUnit.SECONDS);
        }

        public long pid() {
            return process.pid();
        }

        /** Lines of the process's output so far. */
        public java.util.List<String> lines() throws IOException {
            return Files.readAllLines(log, StandardCharsets.UTF_8);
        }

        /** The process's exit status (after {@link #await}). */
        public int exitValue() {
            return process.exitValue();
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        @Override
        public void close() {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** turnserver on loopback with long-term credentials {@code user:password} in {@code realm}, clients over UDP. */
    public static Proc turnserver(Path dir, int port, int minPort, int maxPort, String user, String password, String realm)
            throws IOException {
        return turnserver(dir, port, minPort, maxPort, user, password, realm, false);
    }

    /** As above; {@code tcp}: clients may also connect over TCP (TURN over TCP, RFC 8656 §3.1). */
    public static Proc turnserver(Path dir, int port, int minPort, int maxPort, String user, String password, String realm,
                                  boolean tcp) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("turnserver", "-n", "--no-cli", "--no-tls", "--no-dtls", "--no-tcp-relay",
                "--listening-ip", "127.0.0.1", "--relay-ip", "127.0.0.1", "--listening-port", Integer.toString(port),
                "--min-port", Integer.toString(minPort), "--max-port", Integer.toString(maxPort),
                "--lt-cred-mech", "--user", user + ":" + password, "--realm", realm,
                "--userdb", dir.resolve("turndb.sqlite").toString(), "--pidfile", dir.resolve("turnserver.pid").toString(),
                "--allow-loopback-peers", "--no-stun-backward-compatibility", "--log-file", "stdout", "--simple-log"));
        if (!tcp) {
            cmd.add("--no-tcp");
        }
        return new Proc(cmd, dir.resolve("turnserver.log"));
    }

    /**
     * Waits until a STUN Binding request to {@code server} is answered (the server is up).
     *
     * @return false if nothing answered within {@code timeoutMillis}
     */
    public static boolean awaitStun(InetSocketAddress server, long timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            s.setSoTimeout(100);
            byte[] req = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, TransactionId.random(new Random()))
                    .build().encode();
            byte[] buf = new byte[1500];
            while (System.nanoTime() < deadline) {
                s.send(new DatagramPacket(req, req.length, server));
                try {
                    s.receive(new DatagramPacket(buf, buf.length));
                    return true;
                } catch (SocketTimeoutException e) {
                    // not yet
                } catch (PortUnreachableException e) {
                    sleep(100);
                }
            }
        }
        return false;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** turnutils_peer: a UDP echo on loopback. */
    public static Proc peer(Path dir, int port) throws IOException {
        return new Proc(List.of("turnutils_peer", "-L", "127.0.0.1", "-p", Integer.toString(port)), dir.resolve("peer-" + port + ".log"));
    }

    /** turnutils_uclient against a server on loopback, echoing through {@code peerPort}. */
    public static Proc uclient(Path dir, String name, int serverPort, int peerPort, String user, String password,
                        List<String> extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("turnutils_uclient", "-u", user, "-w", password,
                "-e", "127.0.0.1", "-r", Integer.toString(peerPort)));
        cmd.addAll(extra);
        cmd.addAll(List.of("-p", Integer.toString(serverPort), "127.0.0.1"));
        return new Proc(cmd, dir.resolve("uclient-" + name + ".log"));
    }

    /** What turnutils_uclient reports at its end. */
    public record UclientSummary(long sent, long received, long lost, double avgRttMs, long maxRttMs, double jitterMs) {
        private static final Pattern TOTALS = Pattern.compile("start_mclient: tot_send_msgs=(\\d+), tot_recv_msgs=(\\d+)");
        private static final Pattern LOST = Pattern.compile("Total lost packets (\\d+)");
        private static final Pattern RTT = Pattern.compile("Average round trip delay ([0-9.]+) ms; min = \\d+ ms, max = (\\d+) ms");
        private static final Pattern JITTER = Pattern.compile("Average jitter ([0-9.]+) ms");

        /** Parses the summary; null if the output has none (the client failed early). */
        public static UclientSummary parse(String out) {
            Matcher t = TOTALS.matcher(out);
            Matcher l = LOST.matcher(out);
            if (!t.find() || !l.find()) {
                return null;
            }
            Matcher r = RTT.matcher(out);
            Matcher j = JITTER.matcher(out);
            boolean hasRtt = r.find();
            return new UclientSummary(Long.parseLong(t.group(1)), Long.parseLong(t.group(2)), Long.parseLong(l.group(1)),
                    hasRtt ? Double.parseDouble(r.group(1)) : Double.NaN, hasRtt ? Long.parseLong(r.group(2)) : -1,
                    j.find() ? Double.parseDouble(j.group(1)) : Double.NaN);
        }
    }
}
