package io.p2pnat.peer.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.ChannelInitializer;
import io.netty.incubator.codec.quic.QuicStreamChannel;
import io.netty.incubator.codec.quic.QuicStreamType;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The stream layer's own objects ({@link QuicLink}, {@link QuicStream}) driven the way the peer's
 * I/O thread drives them, over a seeded in-memory network that loses, reorders, duplicates and
 * delays packets and goes dark for a while (a path repair as the stream sees it). quiche reads
 * its own clock, so this network runs in real time; the faults are seeded.
 */
@Timeout(60)
class StreamFaultsTest {
    /** A datagram on its way. */
    private record InFlight(long due, long seq, boolean toServer, byte[] packet) {
    }

    /** Both QUIC ends and the network between them, on the test's thread. */
    private static final class Net {
        final Random random;
        final double loss;
        final double duplicate;
        final long delayNanos;
        final long jitterNanos;
        long darkFrom = Long.MAX_VALUE;
        long darkUntil;
        final PriorityQueue<InFlight> inFlight = new PriorityQueue<>((a, b) -> a.due != b.due ? Long.compare(a.due, b.due)
                : Long.compare(a.seq, b.seq));
        final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
        long seq;
        long sent;
        long dropped;
        final QuicLink client;
        final QuicLink server;
        final CompletableFuture<QuicStream> accepted = new CompletableFuture<>();

        Net(long seed, double loss, double duplicate, long delayMs, long jitterMs) {
            random = new Random(seed);
            this.loss = loss;
            this.duplicate = duplicate;
            this.delayNanos = TimeUnit.MILLISECONDS.toNanos(delayMs);
            this.jitterNanos = TimeUnit.MILLISECONDS.toNanos(jitterMs);
            server = new QuicLink(1, false, new ChannelInitializer<QuicStreamChannel>() {
                @Override
                protected void initChannel(QuicStreamChannel ch) {
                    QuicStream[] s = new QuicStream[1];
                    s[0] = new QuicStream(tasks::add, "client", () -> accepted.complete(s[0]));
                    ch.pipeline().addLast(s[0]);
                }
            }, q -> { });
            client = new QuicLink(1, true, new ChannelInitializer<QuicStreamChannel>() {
                @Override
                protected void initChannel(QuicStreamChannel ch) {
                    ch.close();
                }
            }, q -> { });
        }

        void send(byte[] packet, boolean toServer) {
            long now = System.nanoTime();
            sent++;
            if (now >= darkFrom && now < darkUntil || random.nextDouble() < loss) {
                dropped++;
                return;
            }
            int copies = random.nextDouble() < duplicate ? 2 : 1;
            for (int i = 0; i < copies; i++) {
                long jitter = jitterNanos == 0 ? 0 : (long) (random.nextDouble() * jitterNanos);
                inFlight.add(new InFlight(now + delayNanos + jitter, seq++, toServer, packet));
            }
        }

        /** One round of the I/O thread: tasks, due packets, both endpoints' timers and output. */
        void step() throws InterruptedException {
            Runnable r;
            while ((r = tasks.poll()) != null) {
                r.run();
            }
            long now = System.nanoTime();
            while (!inFlight.isEmpty() && inFlight.peek().due <= now) {
                InFlight p = inFlight.poll();
                (p.toServer ? server : client).input(p.packet);
            }
            client.pump((id, packet, asClient) -> send(packet, true));
            server.pump((id, packet, asClient) -> send(packet, false));
            if (tasks.isEmpty() && (inFlight.isEmpty() || inFlight.peek().due > System.nanoTime())) {
                Thread.sleep(0, 200_000);
            }
        }
    }

    @Test
    void everyByteArrivesOnceThroughLossReorderingDuplicatesAndAnOutage() throws Exception {
        // 3% loss, 2% duplicates, 5-25 ms one way (reordering), dark for 700 ms mid-transfer.
        Net net = new Net(42, 0.03, 0.02, 5, 20);
        byte[] data = new byte[3_000_000];
        new Random(7).nextBytes(data);
        byte[] got = transfer(net, data, 1_000_000);
        assertEquals(data.length, got.length);
        assertArrayEquals(sha256(data), sha256(got));
        assertTrue(net.dropped > 50, "the network dropped " + net.dropped + " of " + net.sent);
    }

    /** Sends {@code data} client to server; goes dark for 700 ms once {@code darkAfter} bytes arrived. */
    private static byte[] transfer(Net net, byte[] data, int darkAfter) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
        while (net.client.connection() == null) {
            assertTrue(System.nanoTime() < end, "no QUIC handshake");
            net.step();
        }
        CompletableFuture<QuicStream> opened = new CompletableFuture<>();
        QuicStream mine = new QuicStream(net.tasks::add, "server", null);
        net.client.connection().createStream(QuicStreamType.BIDIRECTIONAL, mine).addListener(f -> opened.complete(mine));
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                OutputStream out = opened.get(10, TimeUnit.SECONDS).outputStream();
                for (int off = 0; off < data.length; off += 50_000) {
                    out.write(data, off, Math.min(50_000, data.length - off));
                }
                out.close();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
        CompletableFuture<Void> reader = net.accepted.thenAcceptAsync(s -> {
            try {
                InputStream in = s.inputStream();
                byte[] buf = new byte[65536];
                int n;
                while ((n = in.read(buf)) > 0) {
                    synchronized (received) {
                        received.write(buf, 0, n);
                    }
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        boolean darkened = false;
        while (!reader.isDone()) {
            assertTrue(System.nanoTime() < end, "transfer stuck at " + received.size() + " bytes");
            if (!darkened && received.size() >= darkAfter) {
                darkened = true;
                net.darkFrom = System.nanoTime();
                net.darkUntil = net.darkFrom + TimeUnit.MILLISECONDS.toNanos(700);
            }
            net.step();
        }
        reader.get();
        writer.get(5, TimeUnit.SECONDS);
        assertTrue(darkened, "the outage never came");
        net.client.close();
        net.server.close();
        return received.toByteArray();
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }
}
