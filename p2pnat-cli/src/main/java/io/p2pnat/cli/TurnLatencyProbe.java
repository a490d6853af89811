package io.p2pnat.cli;

import io.p2pnat.server.BlockingTurnClient;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;

/**
 * Round-trip time through a TURN server, microsecond resolution: our {@link BlockingTurnClient}
 * sends a numbered ping over a bound channel to a UDP echo on loopback and waits for it to come
 * back through the relay (client → server → peer → server → client), one at a time.
 */
final class TurnLatencyProbe {
    /** Percentiles in microseconds. */
    record Rtt(double p50, double p99, double mean, int lost) {
    }

    private TurnLatencyProbe() {
    }

    static Rtt measure(InetSocketAddress server, int pings) throws IOException, InterruptedException {
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (DatagramSocket echo = new DatagramSocket(new InetSocketAddress(lo, 0));
             BlockingTurnClient c = BlockingTurnClient.open(server, "u", "p")) {
            Thread t = new Thread(() -> echo(echo), "latency-echo");
            t.setDaemon(true);
            t.start();
            Duration timeout = Duration.ofSeconds(5);
            c.allocate(timeout);
            InetSocketAddress peer = (InetSocketAddress) echo.getLocalSocketAddress();
            c.createPermission(timeout, lo);
            c.bindChannel(peer, timeout);
            double[] rtts = new double[pings];
            int n = 0;
            int lost = 0;
            for (int i = -100; i < pings; i++) { // 100 warm-up pings
                byte[] msg = Integer.toString(i).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                long t0 = System.nanoTime();
                c.send(peer, msg);
                BlockingTurnClient.Received d = c.receive(Duration.ofSeconds(1));
                long t1 = System.nanoTime();
                if (d == null || !Arrays.equals(d.data(), msg)) {
                    lost += i >= 0 ? 1 : 0;
                    continue;
                }
                if (i >= 0) {
                    rtts[n++] = (t1 - t0) / 1000.0;
                }
            }
            echo.close();
            double[] got = Arrays.copyOf(rtts, n);
            Arrays.sort(got);
            if (n == 0) {
                return new Rtt(Double.NaN, Double.NaN, Double.NaN, lost);
            }
            return new Rtt(got[n / 2], got[Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1)],
                    Arrays.stream(got).average().orElse(Double.NaN), lost);
        }
    }

    private static void echo(DatagramSocket s) {
        byte[] buf = new byte[2048];
        try {
            while (!s.isClosed()) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                s.receive(p);
                s.send(new DatagramPacket(buf, p.getLength(), p.getSocketAddress()));
            }
        } catch (SocketException e) {
            // closed
        } catch (IOException e) {
            // done
        }
    }
}
