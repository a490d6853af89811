package io.p2pnat.cli;

import io.p2pnat.peer.ConnectionInfo;
import io.p2pnat.peer.P2pException;
import io.p2pnat.peer.Peer;
import io.p2pnat.peer.StreamConnection;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `p2pnat peer receive DIR`: stores files peers send, checked end to end. */
@Command(name = "receive", mixinStandardHelpOptions = true,
        description = {"Register and store the files peers send (`p2pnat peer send FILE --to ID`) in DIR, each checked",
                "against the sender's SHA-256 (a name already there gets a numbered suffix; nothing is overwritten).",
                "Runs until stopped, or until --count files came; exit status 0 only if all of them were stored."})
final class ReceiveCommand implements Callable<Integer> {
    @Mixin
    PeerOptions opts;

    @Parameters(index = "0", paramLabel = "DIR", description = "Where to store the files (created if missing).")
    Path dir;

    @Option(names = "--count", paramLabel = "N", defaultValue = "0", description = "Exit after N files (default: run until stopped).")
    int count;

    @Override
    public Integer call() throws Exception {
        opts.checkTransport("both", true);
        if (count < 0) {
            throw new Main.UsageError("bad --count " + count + ": must be 0 or more");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new Main.UsageError("cannot use DIR '" + dir + "': " + e.getMessage());
        }
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new Main.UsageError("cannot write to DIR '" + dir + "'");
        }
        boolean tcp = !opts.transport.equals("udp");
        Peer peer = opts.start(tcp, true);
        Runtime.getRuntime().addShutdownHook(new Thread(peer::close, "p2pnat-receive-shutdown"));
        System.err.println("registered as " + opts.id + " with key " + peer.keyFingerprint() + " at " + Text.endpoint(peer.server())
                + "; public endpoint " + Text.endpoint(peer.publicEndpoint()) + "; storing files in " + dir.toAbsolutePath());
        System.err.flush();
        AtomicInteger done = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        while (count == 0 || done.get() < count) {
            StreamConnection c = peer.acceptStream(Duration.ofMillis(200));
            if (c == null) {
                continue;
            }
            Thread t = new Thread(() -> {
                if (!receive(c)) {
                    failed.incrementAndGet();
                }
                done.incrementAndGet();
            }, "receive-" + c.peerId());
            t.setDaemon(true);
            t.start();
            if (count > 0) {
                t.join(); // with --count, one file after another, so that exactly N are handled
            }
        }
        peer.close();
        return failed.get() == 0 ? 0 : Main.EXIT_FAILURE;
    }

    /** One transfer; true if the file was stored with the sender's checksum. */
    private boolean receive(StreamConnection c) {
        ConnectionInfo info = c.info();
        long start = System.nanoTime();
        String stored = null;
        long size = -1;
        byte[] got = new byte[32];
        String error = null;
        try (c) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(c.inputStream(), 1 << 16));
            DataOutputStream answer = new DataOutputStream(c.outputStream());
            FileTransfer.Header h;
            try {
                h = FileTransfer.readHeader(in);
            } catch (IOException e) {
                error = e.getMessage();
                FileTransfer.writeAnswer(answer, FileTransfer.REFUSED, got, error);
                return report(info, null, size, got, false, error, start);
            }
            size = h.size();
            String name = FileTransfer.safeName(h.name());
            if (name == null) {
                error = "refused the file name '" + h.name() + "' (no paths or dot names)";
                FileTransfer.writeAnswer(answer, FileTransfer.REFUSED, got, error);
                return report(info, h.name(), size, got, false, error, start);
            }
            Path part = Files.createTempFile(dir, ".p2pnat-", ".part");
            try {
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(part), 1 << 16)) {
                    Progress bar = Progress.onTerminal(name, size, opts.json);
                    got = FileTransfer.copy(in, out, size, bar::update);
                }
                byte[] theirs = in.readNBytes(32);
                boolean ok = Arrays.equals(got, theirs);
                if (ok) {
                    Path target = freeName(name);
                    Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
                    stored = target.getFileName().toString();
                } else {
                    error = "checksum differs: received " + FileTransfer.hex(got) + ", sender says " + FileTransfer.hex(theirs);
                }
                FileTransfer.writeAnswer(answer, ok ? FileTransfer.STORED : FileTransfer.CHECKSUM_DIFFERS, got, ok ? "stored as " + stored : error);
                c.shutdownOutput();
                try {
                    in.read(); // the sender's end of stream: it has our answer
                } catch (IOException e) {
                    // it may close at once: the file is stored either way
                }
                return report(info, stored != null ? stored : name, size, got, ok, error, start);
            } finally {
                Files.deleteIfExists(part);
            }
        } catch (IOException e) {
            return report(info, stored, size, got, false, "transfer broke: " + e.getMessage(), start);
        }
    }

    private synchronized Path freeName(String name) {
        Path p = dir.resolve(name);
        for (int i = 1; Files.exists(p); i++) {
            p = dir.resolve(name + "." + i);
        }
        return p;
    }

    private boolean report(ConnectionInfo info, String name, long size, byte[] sha, boolean ok, String error, long start) {
        long nanos = System.nanoTime() - start;
        double mbps = size <= 0 ? 0 : size / 1e6 / Math.max(1e-9, nanos / 1e9);
        synchronized (System.out) {
            if (opts.json) {
                Json j = new Json().put("event", "received");
                ConnectionJson.describe(j, info);
                j.put("file", name).put("bytes", size).put("sha256", FileTransfer.hex(sha)).put("ok", ok)
                        .put("seconds", Math.round(nanos / 1e6) / 1000.0).put("mbPerSecond", Math.round(mbps * 100) / 100.0);
                if (error != null) {
                    j.put("error", error);
                }
                System.out.println(j);
            } else if (ok) {
                System.out.println("received " + name + " from " + info.peer() + ": " + size + " bytes, SHA-256 "
                        + FileTransfer.hex(sha) + " (" + Math.round(mbps * 10) / 10.0 + " MB/s over " + info.transport() + ", "
                        + info.path() + ")");
            } else {
                System.out.println("FAILED " + (name == null ? "a transfer" : name) + " from " + info.peer() + ": " + error);
            }
            System.out.flush();
        }
        return ok;
    }
}
