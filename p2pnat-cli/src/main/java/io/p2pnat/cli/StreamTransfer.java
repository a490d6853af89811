package io.p2pnat.cli;

import io.p2pnat.lab.Lab;
import io.p2pnat.lab.LabException;
import io.p2pnat.lab.LabOptions;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One bulk transfer for `p2pnat bench stream`: `peer receive DIR --count 1` on client B, then
 * `peer send FILE --to` it from client A (both fresh JVMs with the JVM's default options, as the
 * p2pnat launcher runs peers), while a {@link CpuSampler} follows both processes, the lab's delay
 * daemons and the machine. The throughput is the sender's own figure (its JSON "mbPerSecond":
 * from the stream being ready to the receiver's checksum answer), so JVM start, registration and
 * hole punching are not in it; the CPU is what the two processes spent inside that same window.
 */
final class StreamTransfer {
    /**
     * What one transfer gave.
     *
     * @param transport     what was asked: "stream" or "tcp"
     * @param ok            both sides report the file stored with the same SHA-256, and the sender exited 0
     * @param error         why not, or null
     * @param sent          the sender's "sent" JSON (null if it printed none)
     * @param mbPerSecond   the sender's mbPerSecond (NaN if none)
     * @param seconds       the sender's transfer seconds (NaN if none)
     * @param senderCpuMs   the sender's CPU time in the transfer window
     * @param receiverCpuMs the receiver's CPU time in the transfer window
     * @param labCpuMs      the lab's delay daemons' CPU time in the window (0 without a delay)
     * @param machineBusyMs all CPUs' busy time in the window (every process on the machine)
     * @param processCpuMs  both peer processes' CPU time over their whole lives (JVM start included)
     * @param inetPackets   IPv4 packets handed to the Internet bridge during the transfer (-1: not counted, no loss)
     * @param inetBytes     their bytes (-1: not counted)
     * @param inetDropped   how many the loss dropped (-1: not counted)
     * @param udpRcvbufErrors UDP datagrams the kernel dropped at the receiving client for want of
     *                      socket receive buffer during the transfer (Udp RcvbufErrors in client B's
     *                      namespace; -1 if unreadable)
     * @param senderUdpRcvbufErrors the same at the sending client (client A)
     */
    record Result(String transport, boolean ok, String error, Map<String, Object> sent, double mbPerSecond, double seconds,
                  double senderCpuMs, double receiverCpuMs, double labCpuMs, double machineBusyMs, double processCpuMs,
                  long inetPackets, long inetBytes, long inetDropped, long udpRcvbufErrors, long senderUdpRcvbufErrors) {
        String text(String key) {
            Object v = sent == null ? null : sent.get(key);
            return v == null ? null : v.toString();
        }

        /** The transport the stream actually used ("quic" or "tcp"), or null. */
        String usedTransport() {
            return text("transport");
        }

        /** Whether the transfer ran on a direct path from start to end with the transport asked for. */
        boolean asRequired() {
            String want = transport.equals("tcp") ? "tcp" : "quic";
            return ok && want.equals(usedTransport()) && "direct".equals(text("path")) && "direct".equals(text("finalPath"));
        }

        /** E.g. "quic direct public" (with "-> relayed" when the path changed during the transfer). */
        String pathText() {
            if (sent == null || usedTransport() == null) {
                return transport + " FAILED";
            }
            String s = usedTransport() + " " + text("path") + " " + text("via");
            if (!String.valueOf(text("path")).equals(text("finalPath")) || !String.valueOf(text("via")).equals(text("finalVia"))) {
                s += " -> " + text("finalPath") + " " + text("finalVia");
            }
            return s;
        }

        double cpuMsPerMb(long bytes) {
            return (senderCpuMs + receiverCpuMs) / (bytes / 1e6);
        }
    }

    private final Lab lab;
    private final String server;
    private final Path work;
    private final List<String> javaOpts;
    private final int timeoutSeconds;
    private int serial;

    StreamTransfer(Lab lab, String server, Path work, List<String> javaOpts, int timeoutSeconds) {
        this.lab = lab;
        this.server = server;
        this.work = work;
        this.javaOpts = List.copyOf(javaOpts);
        this.timeoutSeconds = timeoutSeconds;
    }

    /** Sends {@code file} ({@code bytes} long) from client A to client B over {@code transport} ("stream" or "tcp"). */
    Result run(String transport, Path file, long bytes) throws IOException, InterruptedException, LabException {
        int n = ++serial;
        String receiverId = "bench-b" + n;
        String senderId = "bench-a" + n;
        Path dir = Files.createDirectories(work.resolve("received-" + n));
        Path keys = Files.createDirectories(work.resolve("keys"));
        List<Process> started = new ArrayList<>();
        try {
            Process receiver = lab.start("clientB", peer("peer", "receive", dir.toString(), "--count", "1", "--json",
                    "--server", server, "--id", receiverId, "--key", keys.resolve(receiverId + ".key").toString()));
            started.add(receiver);
            ProcessLines recvOut = new ProcessLines(receiver.getInputStream(), "bench-receive-stdout");
            ProcessLines recvErr = new ProcessLines(receiver.getErrorStream(), "bench-receive-stderr");
            if (recvErr.await(l -> l.startsWith("registered") || l.startsWith("p2pnat:"), 30_000) == null
                    || !recvErr.all().contains("registered")) {
                return failed(transport, "the receiver did not register: " + recvErr.all());
            }
            Lab.SegmentTraffic before = traffic();
            long rcvbufBefore = rcvbufErrors("clientB");
            long senderRcvbufBefore = rcvbufErrors("clientA");
            Process sender = lab.start("clientA", peer("peer", "send", file.toString(), "--to", receiverId, "--json",
                    "--transport", transport, "--timeout", "30", "--server", server, "--id", senderId,
                    "--key", keys.resolve(senderId + ".key").toString()));
            started.add(sender);
            ProcessLines sendOut = new ProcessLines(sender.getInputStream(), "bench-send-stdout");
            ProcessLines sendErr = new ProcessLines(sender.getErrorStream(), "bench-send-stderr");
            List<Long> pids = new ArrayList<>(List.of(javaPid(sender), javaPid(receiver)));
            List<Long> daemons = labDaemons();
            pids.addAll(daemons);
            String sentLine;
            long end;
            try (CpuSampler cpu = new CpuSampler(pids)) {
                sentLine = sendOut.await(l -> l.startsWith("{\"event\":\"sent\""), TimeUnit.SECONDS.toMillis(timeoutSeconds));
                end = System.nanoTime();
                if (sentLine == null) {
                    sender.destroyForcibly();
                    return failed(transport, (sender.isAlive() ? "no result within " + timeoutSeconds + " s" : "the sender printed no result")
                            + "; sender stderr: " + sendErr.all() + "; receiver stdout: " + recvOut.all());
                }
                if (!sender.waitFor(30, TimeUnit.SECONDS)) {
                    sender.destroyForcibly();
                }
                String receivedLine = recvOut.await(l -> l.startsWith("{\"event\":\"received\""), 10_000);
                receiver.waitFor(5, TimeUnit.SECONDS);
                cpu.close();
                Map<String, Object> sent = Json.parse(sentLine);
                double seconds = number(sent.get("seconds"));
                long start = end - (long) (seconds * 1e9);
                Map<Long, Double> used = cpu.cpuMillis(start, end);
                double lab = 0;
                for (long d : daemons) {
                    lab += used.get(d);
                }
                Lab.SegmentTraffic t = before == null ? null : traffic().minus(before);
                Map<String, Object> received = receivedLine == null ? null : Json.parse(receivedLine);
                long rcvbufAfter = rcvbufErrors("clientB");
                long senderRcvbufAfter = rcvbufErrors("clientA");
                boolean ok = Boolean.TRUE.equals(sent.get("ok")) && received != null && Boolean.TRUE.equals(received.get("ok"))
                        && !sender.isAlive() && sender.exitValue() == 0 && Long.valueOf(bytes).equals(sent.get("bytes"));
                String error = ok ? null : "sender: " + sentLine + " (exit " + (sender.isAlive() ? "-" : sender.exitValue())
                        + ", stderr " + sendErr.all() + "); receiver: " + receivedLine + " " + recvErr.all();
                return new Result(transport, ok, error, sent, number(sent.get("mbPerSecond")), seconds,
                        used.get(pids.get(0)), used.get(pids.get(1)), lab, cpu.machineBusyMillis(start, end),
                        cpu.totalMillis(pids.get(0)) + cpu.totalMillis(pids.get(1)),
                        t == null ? -1 : t.packets(), t == null ? -1 : t.bytes(), t == null ? -1 : t.dropped(),
                        rcvbufBefore < 0 || rcvbufAfter < 0 ? -1 : rcvbufAfter - rcvbufBefore,
                        senderRcvbufBefore < 0 || senderRcvbufAfter < 0 ? -1 : senderRcvbufAfter - senderRcvbufBefore);
            }
        } finally {
            for (Process p : started) {
                p.destroyForcibly();
            }
            for (Process p : started) {
                p.waitFor(5, TimeUnit.SECONDS);
            }
            deleteTree(dir);
        }
    }

    private Lab.SegmentTraffic traffic() throws LabException {
        return lab.internetLossPercent() > 0 ? lab.segmentTraffic(LabOptions.INTERNET) : null;
    }

    /** Udp RcvbufErrors of a host's namespace (/proc/net/snmp), -1 if unreadable. */
    private long rcvbufErrors(String host) throws IOException, InterruptedException {
        Process p = lab.command(host, List.of("cat", "/proc/net/snmp")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            return -1;
        }
        String[] header = null;
        for (String line : out.split("\n")) {
            if (line.startsWith("Udp:")) {
                if (header == null) {
                    header = line.trim().split("\\s+");
                    continue;
                }
                String[] v = line.trim().split("\\s+");
                for (int i = 1; i < Math.min(header.length, v.length); i++) {
                    if (header[i].equals("RcvbufErrors")) {
                        return Long.parseLong(v[i]);
                    }
                }
                return -1;
            }
        }
        return -1;
    }

    private static Result failed(String transport, String error) {
        return new Result(transport, false, error, null, Double.NaN, Double.NaN, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1);
    }

    private static double number(Object v) {
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** A peer JVM: this build's class path, the JVM's defaults plus P2PNAT_JAVA_OPTS, like the launcher. */
    private List<String> peer(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(javaOpts);
        cmd.add("-cp");
        List<String> parts = new ArrayList<>();
        for (String p : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!p.isEmpty()) {
                parts.add(new File(p).getAbsolutePath());
            }
        }
        cmd.add(String.join(File.pathSeparator, parts));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * The JVM's pid: `ip netns exec` execs the command in place, so it is the started process once
     * its name turns to java; a descendant named java otherwise.
     */
    private static long javaPid(Process p) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (System.nanoTime() < deadline) {
            if (CpuSampler.comm(p.pid()).equals("java")) {
                return p.pid();
            }
            var java = p.descendants().filter(h -> CpuSampler.comm(h.pid()).equals("java")).findFirst();
            if (java.isPresent()) {
                return java.get().pid();
            }
            Thread.sleep(5);
        }
        return p.pid();
    }

    /** The processes in the lab's switch namespace: its delay daemons (nfq-delay), if any. */
    private List<Long> labDaemons() throws IOException, InterruptedException {
        String ip = Stream.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip").filter(x -> Files.isExecutable(Path.of(x)))
                .findFirst().orElse("ip");
        Process p = new ProcessBuilder(ip, "netns", "pids", lab.switchNamespace()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        List<Long> pids = new ArrayList<>();
        for (String l : out.split("\n")) {
            if (l.strip().matches("\\d+")) {
                pids.add(Long.parseLong(l.strip()));
            }
        }
        return pids;
    }

    static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
