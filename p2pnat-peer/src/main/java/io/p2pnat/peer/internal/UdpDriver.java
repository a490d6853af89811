package io.p2pnat.peer.internal;

import io.p2pnat.core.Clock;
import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import io.p2pnat.core.peer.PeerAgent;
import io.p2pnat.core.peer.PeerEvent;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * Drives a {@link PeerAgent} over one real UDP socket on one thread: reads datagrams, fires
 * timers, writes what the agent emits, and hands events to a sink (on this thread).
 * Commands from other threads are queued with {@link #execute}.
 */
public final class UdpDriver implements AutoCloseable {
    private final DatagramChannel channel;
    private final Selector selector;
    private final PeerAgent agent;
    private final Clock clock;
    private final Consumer<PeerEvent> sink;
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean running = true;
    private final ByteBuffer rx = ByteBuffer.allocateDirect(65536);
    private final byte[] rxBytes = new byte[65536];

    public UdpDriver(DatagramChannel channel, PeerAgent agent, Clock clock, Consumer<PeerEvent> sink, String name)
            throws IOException {
        this.channel = channel;
        this.agent = agent;
        this.clock = clock;
        this.sink = sink;
        channel.configureBlocking(false);
        this.selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
        this.thread = new Thread(this::loop, name);
        this.thread.setDaemon(true);
    }

    /** Starts the loop; {@code first} runs on the loop thread before anything else. */
    public void start(Consumer<PeerAgent> first) {
        commands.add(() -> first.accept(agent));
        thread.start();
    }

    /** Runs {@code command} on the loop thread with the agent. */
    public void execute(Consumer<PeerAgent> command) {
        commands.add(() -> command.accept(agent));
        selector.wakeup();
    }

    public Clock clock() {
        return clock;
    }

    private void loop() {
        try {
            while (running) {
                Runnable r;
                while ((r = commands.poll()) != null) {
                    r.run();
                }
                flush();
                long next = agent.nextTimeout();
                long now = clock.nanoTime();
                if (next != Timers.NEVER && next <= now) {
                    agent.handleTimeout(now);
                    flush();
                    continue;
                }
                long waitMs = next == Timers.NEVER ? 1000 : Math.max(1, Math.min(1000, (next - now + 999_999) / 1_000_000));
                selector.select(waitMs);
                selector.selectedKeys().clear();
                receiveAll();
            }
        } catch (IOException | RuntimeException e) {
            if (running) {
                sink.accept(new PeerEvent.RegistrationFailed(PeerEvent.FailureKind.CLOSED, "socket failed: " + e));
            }
        }
    }

    private void receiveAll() throws IOException {
        for (int i = 0; i < 256; i++) {
            rx.clear();
            SocketAddress from;
            try {
                from = channel.receive(rx);
            } catch (java.net.PortUnreachableException e) {
                continue;
            }
            if (from == null) {
                return;
            }
            rx.flip();
            int len = rx.remaining();
            rx.get(rxBytes, 0, len);
            agent.handleInput(clock.nanoTime(), (InetSocketAddress) from, rxBytes, 0, len);
            flush();
        }
    }

    private void flush() {
        Transmit t;
        while ((t = agent.pollTransmit()) != null) {
            try {
                channel.send(ByteBuffer.wrap(t.payload()), t.destination());
            } catch (IOException e) {
                // Unreachable private candidates fail here ("network unreachable"): a lost datagram.
            }
        }
        PeerEvent e;
        while ((e = agent.pollEvent()) != null) {
            sink.accept(e);
        }
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            selector.close();
            channel.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
