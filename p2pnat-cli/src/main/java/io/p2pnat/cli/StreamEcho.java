package io.p2pnat.cli;

import io.p2pnat.peer.StreamConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The TCP echo exchange: writes {@code count} messages of {@code size} bytes (pseudo-random,
 * seeded) while reading the echo and checking it byte for byte; then half-closes and expects
 * the peer's end of stream. The first message goes alone to measure the round trip.
 */
final class StreamEcho {
    record Result(int sent, int echoed, double rttMs, long bytes, double mbPerSecond, String error) {
    }

    private StreamEcho() {
    }

    /** The listener side: echo everything, then half-close when the peer does. */
    static void serve(StreamConnection c) {
        try (c) {
            InputStream in = c.inputStream();
            OutputStream out = c.outputStream();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
            c.shutdownOutput();
        } catch (IOException e) {
            // the peer went away
        }
    }

    static Result run(StreamConnection c, int count, int size) throws InterruptedException {
        long seed = System.nanoTime();
        InputStream in = c.inputStream();
        OutputStream out = c.outputStream();
        double rttMs = -1;
        long start = System.nanoTime();
        int echoed = 0;
        try {
            if (count == 0) {
                c.shutdownOutput();
                return new Result(0, 0, -1, 0, 0, in.read() == -1 ? null : "unexpected bytes from peer");
            }
            byte[] first = message(seed, 0, size);
            long t0 = System.nanoTime();
            out.write(first);
            if (!readExpected(in, first)) {
                return new Result(1, 0, -1, 0, 0, "the echo of message 1 differed or the stream ended");
            }
            rttMs = (System.nanoTime() - t0) / 1e6;
            echoed = 1;
            AtomicReference<IOException> writeError = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 1; i < count; i++) {
                        out.write(message(seed, i, size));
                    }
                    c.shutdownOutput();
                } catch (IOException e) {
                    writeError.set(e);
                }
            }, "stream-echo-writer");
            writer.start();
            for (int i = 1; i < count; i++) {
                if (!readExpected(in, message(seed, i, size))) {
                    writer.join(1000);
                    return new Result(count, echoed, rttMs, (long) echoed * size, 0,
                            "the echo of message " + (i + 1) + " differed or the stream ended"
                                    + (writeError.get() == null ? "" : " (" + writeError.get().getMessage() + ")"));
                }
                echoed++;
            }
            writer.join();
            if (count == 1) {
                c.shutdownOutput();
            }
            boolean eof = in.read() == -1;
            double secs = (System.nanoTime() - start) / 1e9;
            long bytes = (long) count * size;
            return new Result(count, echoed, rttMs, bytes, bytes / 1e6 / secs, eof ? null : "no end of stream after the echo");
        } catch (IOException e) {
            return new Result(count, echoed, rttMs, (long) echoed * size, 0, e.getMessage());
        }
    }

    private static boolean readExpected(InputStream in, byte[] expected) throws IOException {
        byte[] got = in.readNBytes(expected.length);
        return Arrays.equals(got, expected);
    }

    private static byte[] message(long seed, int i, int size) {
        byte[] b = new byte[size];
        new Random(seed * 31 + i).nextBytes(b);
        return b;
    }
}
