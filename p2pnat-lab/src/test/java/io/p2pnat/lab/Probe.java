package io.p2pnat.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Test-side handle on a {@link UdpProbe} JVM running in a lab host's namespace. */
final class Probe {
    /**
     * A datagram the probe received.
     *
     * @param local the receiving socket as the probe was started with it: {@code "1234"} or
     *     {@code "192.0.2.129:20003"}
     */
    record Received(String local, String from, String payload) {}

    private final String host;
    private final Process process;
    private final PrintWriter stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> tcpLines = new LinkedBlockingQueue<>();
    private final List<Received> received = new ArrayList<>();
    private int tcpTags;

    private Probe(String host, Process process) {
        this.host = host;
        this.process = process;
        this.stdin = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    (line.startsWith("tcp ") ? tcpLines : lines).add(line);
                }
            } catch (IOException e) {
                lines.add("error " + e);
            }
        }, "probe-" + host);
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts the probe JVM in the host's namespace, bound to {@code ports}; call {@link #awaitReady}. */
    static Probe start(Lab lab, String host, boolean reflect, int... ports) throws IOException {
        List<String> args = new ArrayList<>();
        if (reflect) {
            args.add("--reflect");
        }
        for (int port : ports) {
            args.add(Integer.toString(port));
        }
        return start(lab, host, args);
    }

    /** Starts the probe JVM with {@link UdpProbe}'s arguments; call {@link #awaitReady}. */
    static Probe start(Lab lab, String host, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-Xmx32m",
                "-cp", classesDir(), UdpProbe.class.getName()));
        command.addAll(args);
        Process process = lab.start(host, command);
        return new Probe(host, process);
    }

    Probe awaitReady() throws InterruptedException {
        if (await(l -> l.equals("ready"), Duration.ofSeconds(15)).isEmpty()) {
            throw new AssertionError("probe on " + host + " did not start (alive=" + process.isAlive() + ")");
        }
        return this;
    }

    void send(int localPort, String ip, int port, String payload) {
        send(Integer.toString(localPort), ip, port, payload);
    }

    /** Sends from the socket named {@code socket} ({@code "1234"} or {@code "192.0.2.129:20003"}). */
    void send(String socket, String ip, int port, String payload) {
        stdin.println("send " + socket + " " + ip + " " + port + " " + payload);
    }

    /**
     * Sends {@code n} datagrams {@code "<tag> <i>"} from the socket named {@code socket} to
     * {@code ip:port}, paced at five per millisecond at most; returns when the probe has sent them all.
     */
    void blast(String socket, String ip, int port, int n, String tag) throws InterruptedException {
        stdin.println("blast " + socket + " " + ip + " " + port + " " + n + " " + tag);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10L + n / 500);
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            String line = lines.poll(left, TimeUnit.NANOSECONDS);
            if (line == null) {
                break;
            }
            if (line.equals("blast " + tag + " done")) {
                return;
            }
            parse(line).ifPresent(r -> {
                synchronized (received) {
                    received.add(r);
                }
            });
        }
        throw new AssertionError("the probe on " + host + " did not finish blasting " + tag);
    }

    /** Asks the reflector at {@code ip:port} which public endpoint it sees, retrying. */
    String whoami(int localPort, String ip, int port) throws InterruptedException {
        String local = Integer.toString(localPort);
        String reflector = ip + ":" + port;
        for (int attempt = 0; attempt < 10; attempt++) {
            send(localPort, ip, port, "WHOAMI");
            Optional<Received> answer = awaitReceived(r -> r.payload().startsWith("YOU ")
                    && r.local().equals(local) && r.from().equals(reflector), Duration.ofMillis(300));
            if (answer.isPresent()) {
                return answer.get().payload().substring(4);
            }
        }
        throw new AssertionError(host + " got no answer from the reflector " + ip + ":" + port);
    }

    /**
     * Connects by TCP from {@code localPort} to {@code ip:port} and reads one line: {@code "ok <line>"}
     * or {@code "error <exception>"} (1 s connect and read timeouts in the probe).
     */
    String tcp(int localPort, String ip, int port) throws InterruptedException {
        String tag = host + "-" + (++tcpTags);
        stdin.println("tcp " + localPort + " " + ip + " " + port + " " + tag);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            String line = tcpLines.poll(left, TimeUnit.NANOSECONDS);
            if (line != null && line.startsWith("tcp " + tag + " ")) {
                return line.substring(("tcp " + tag + " ").length());
            }
        }
        throw new AssertionError("no TCP result from the probe on " + host);
    }

    /**
     * UDP round trips to the reflector at {@code ip:port}, {@code n} of them one after another,
     * timed inside the probe JVM, in ms, sorted; a lost probe counts as infinity.
     */
    List<Double> pingMillis(String ip, int port, int n) throws InterruptedException {
        String tag = host + "-ping-" + (++tcpTags);
        stdin.println("ping " + ip + " " + port + " " + n + " " + tag);
        Optional<String> line = await(l -> l.startsWith("ping " + tag + " ") || l.equals("ping " + tag),
                Duration.ofSeconds(5L + 2L * n));
        if (line.isEmpty()) {
            throw new AssertionError("no ping result from the probe on " + host);
        }
        List<Double> rtts = new ArrayList<>();
        String[] f = line.get().split(" ");
        for (int i = 2; i < f.length; i++) {
            rtts.add(f[i].equals("lost") ? Double.POSITIVE_INFINITY : Double.parseDouble(f[i]));
        }
        rtts.sort(null);
        return rtts;
    }

    /** Waits for a datagram matching {@code filter}; remembers all others. */
    Optional<Received> awaitReceived(Predicate<Received> filter, Duration timeout) throws InterruptedException {
        synchronized (received) {
            Optional<Received> seen = received.stream().filter(filter).findFirst();
            if (seen.isPresent()) {
                received.remove(seen.get());
                return seen;
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left <= 0 ? lines.poll() : lines.poll(left, TimeUnit.NANOSECONDS);
            if (line == null) {
                return Optional.empty();
            }
            Optional<Received> r = parse(line);
            if (r.isPresent()) {
                if (filter.test(r.get())) {
                    return r;
                }
                synchronized (received) {
                    received.add(r.get());
                }
            }
        }
    }

    /** Everything received so far and not yet consumed by {@link #awaitReceived}. */
    List<Received> drain() {
        for (String line; (line = lines.poll()) != null; ) {
            parse(line).ifPresent(r -> {
                synchronized (received) {
                    received.add(r);
                }
            });
        }
        synchronized (received) {
            List<Received> all = new ArrayList<>(received);
            received.clear();
            return all;
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    private Optional<String> await(Predicate<String> filter, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            String line = lines.poll(left, TimeUnit.NANOSECONDS);
            if (line != null && filter.test(line)) {
                return Optional.of(line);
            }
        }
        return Optional.empty();
    }

    private static Optional<Received> parse(String line) {
        String[] f = line.split(" ", 4);
        if (f.length >= 3 && f[0].equals("recv")) {
            return Optional.of(new Received(f[1], f[2], f.length == 4 ? f[3] : ""));
        }
        return Optional.empty();
    }

    private static String classesDir() {
        try {
            return Path.of(UdpProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
