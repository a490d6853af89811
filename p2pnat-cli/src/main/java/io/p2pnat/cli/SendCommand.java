package io.p2pnat.cli;

import io.p2pnat.peer.ConnectionInfo;
import io.p2pnat.peer.P2pException;
import io.p2pnat.peer.PathEvent;
import io.p2pnat.peer.Peer;
import io.p2pnat.peer.StreamConnection;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `p2pnat peer send FILE --to PEER`: a file over a reliable stream, checked end to end. */
@Command(name = "send", mixinStandardHelpOptions = true,
        description = {"Send FILE to PEER (running `p2pnat peer receive DIR`) over a reliable stream on the best path:",
                "QUIC inside the UDP session (direct, or relayed until a direct path opens), or TCP when UDP has no",
                "direct path. Shows progress on a terminal; the receiver checks the SHA-256 and answers.",
                "Exit status 0 only if the receiver stored the file with the same checksum."})
final class SendCommand implements Callable<Integer> {
    @Mixin
    PeerOptions opts;

    @Parameters(index = "0", paramLabel = "FILE", description = "The file to send.")
    Path file;

    @Option(names = "--to", required = true, paramLabel = "PEER", description = "The receiving peer's id.")
    String target;

    @Option(names = "--expect-key", paramLabel = "KEY",
            description = "Refuse the peer unless its identity key is this one (fingerprint or 64 hex digits).")
    String expectKey;

    @Option(names = "--timeout", paramLabel = "S", defaultValue = "10", description = "Seconds to wait for a stream (default: ${DEFAULT-VALUE}).")
    double timeout;

    @Override
    public Integer call() throws Exception {
        if (opts.transport == null) {
            opts.transport = "stream";
        }
        if (!opts.transport.equals("stream") && !opts.transport.equals("tcp")) {
            throw new Main.UsageError("bad --transport '" + opts.transport + "': send uses stream (default) or tcp");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new Main.UsageError("cannot read FILE '" + file + "': " + (Files.exists(file) ? "not a readable file" : "no such file"));
        }
        String name = file.getFileName().toString();
        if (FileTransfer.safeName(name) == null || name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > FileTransfer.MAX_NAME_BYTES) {
            throw new Main.UsageError("FILE name '" + name + "' cannot be sent: up to 255 bytes, not starting with '.'");
        }
        if (!Peer.isValidId(target)) {
            throw new Main.UsageError("bad --to '" + target + "': use 1-64 letters, digits, '.', '_', '-' or '@'");
        }
        if (!(timeout > 0 && timeout <= 3600)) {
            throw new Main.UsageError("bad --timeout " + timeout + ": must be more than 0 and at most 3600 seconds");
        }
        long size = Files.size(file);
        boolean tcpOnly = opts.tcp();
        try (Peer peer = opts.start(true, !tcpOnly)) {
            long dialAt = System.nanoTime();
            Duration wait = Duration.ofMillis((long) (timeout * 1000));
            StreamConnection c = tcpOnly ? peer.dialTcpStream(target, wait, expectKey) : peer.dialStream(target, wait, expectKey);
            long readyNanos = System.nanoTime() - dialAt;
            ConnectionInfo info = c.info();
            if (c.connection() != null) {
                ConnectionJson.printPathEvents(c.connection(), System.out, opts.json);
                // A move without a loss (the relayed session going direct): the line dial and
                // listen print. Repairs are already reported above, so only CHANGED here.
                c.connection().onPathEvent(e -> {
                    if (e.kind() != PathEvent.Kind.CHANGED) {
                        return;
                    }
                    synchronized (System.out) {
                        if (opts.json) {
                            System.out.println(ConnectionJson.pathChange(e.path()));
                        } else {
                            System.out.println("moved to " + e.path().technique().wireName() + ", " + e.path().path() + " via "
                                    + e.path().via().wireName() + " " + Text.endpoint(e.path().remote()));
                        }
                        System.out.flush();
                    }
                });
            }
            if (!opts.json) {
                System.err.println("sending " + name + " (" + size + " bytes) to " + target + " over " + info.transport() + ", "
                        + info.path() + " via " + info.via().wireName() + " " + Text.endpoint(info.remote()) + "; stream ready in "
                        + Text.millis(readyNanos) + " ms");
            }
            long start = System.nanoTime();
            byte[] mine;
            FileTransfer.Answer answer;
            try (c; InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(c.outputStream(), 1 << 16));
                FileTransfer.writeHeader(out, name, size);
                Progress bar = Progress.onTerminal(name, size, opts.json);
                mine = FileTransfer.copy(in, out, size, bar::update);
                out.write(mine);
                out.flush();
                answer = FileTransfer.readAnswer(new DataInputStream(c.inputStream()));
            } catch (IOException e) {
                throw new P2pException(P2pException.Reason.IO, "sending " + name + " to '" + target + "' failed: " + e.getMessage(), e);
            }
            long nanos = System.nanoTime() - start;
            boolean ok = answer.status() == FileTransfer.STORED && Arrays.equals(mine, answer.sha256());
            double mbps = size / 1e6 / Math.max(1e-9, nanos / 1e9);
            ConnectionInfo last = c.info();
            if (opts.json) {
                Json j = new Json().put("event", "sent");
                ConnectionJson.describe(j, info);
                j.put("file", name).put("bytes", size).put("sha256", FileTransfer.hex(mine)).put("ok", ok)
                        .put("seconds", Math.round(nanos / 1e6) / 1000.0).put("mbPerSecond", Math.round(mbps * 100) / 100.0)
                        .put("readyMs", Text.millis(readyNanos)).put("finalPath", last.path()).put("finalVia", last.via().wireName());
                if (!ok) {
                    j.put("error", answer.message());
                }
                synchronized (System.out) {
                    System.out.println(j);
                }
            } else {
                System.out.println((ok ? "sent " : "NOT stored: ") + name + ", " + size + " bytes in " + Math.round(nanos / 1e6) / 1000.0
                        + " s (" + Math.round(mbps * 10) / 10.0 + " MB/s); SHA-256 " + FileTransfer.hex(mine)
                        + (ok ? ", confirmed by " + target : ": " + answer.message()));
            }
            System.out.flush();
            if (!ok) {
                System.err.println("p2pnat: error: " + target + " did not store " + name + ": " + answer.message());
                return Main.EXIT_FAILURE;
            }
            return 0;
        } catch (P2pException e) {
            if (opts.json) {
                System.out.println(new Json().put("event", "sent").put("ok", false).put("peer", target).put("file", name)
                        .put("error", e.getMessage()).put("reason", PeerOptions.reason(e)));
                System.out.flush();
            }
            throw e;
        }
    }
}
