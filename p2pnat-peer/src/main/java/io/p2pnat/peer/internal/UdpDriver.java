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
    /** Extra sockets the agent asked for (birthday punching), by id; opened on first use. */
    private final java.util.Map<Integer, DatagramChannel> extra = new java.util.HashMap<>();
    private Pump pump;

    /**
     * More work on the loop's thread beside the agent (the stream layer): pumped after every batch
     * of input, commands and timers, and woken at its own timeout.
     */
    public interface Pump {
        /** Does what is due; true if it handed the agent something to send. */
        boolean pump();

        /** {@return when it next needs a pump (driver clock), or {@link Timers#NEVER}} */
        long nextTimeout();

        /** The loop has nothing to do and is about to wait: hand over what was held back for batching. */
        void idle();
    }

    public UdpDriver(DatagramChannel channel, PeerAgent agent, Clock clock, Consumer<PeerEvent> sink, String name)
            throws IOException {
        this.channel = channel;
        this.agent = agent;
        this.clock = clock;
        this.sink = sink;
        channel.configureBlocking(false);
        this.selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ, 0);
        this.thread = new Thread(this::loop, name);
        this.thread.setDaemon(true);
    }

    /** Sets the pump (before {@link #start}). */
    public void setPump(Pump pump) {
        this.pump = pump;
    }

    /** Runs {@code task} on the loop thread. */
    public void execute(Runnable task) {
        commands.add(task);
        selector.wakeup();
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
                long agentNext = agent.nextTimeout();
                long next = pump == null ? agentNext : Math.min(agentNext, pump.nextTimeout());
                long now = clock.nanoTime();
                if (next != Timers.NEVER && next <= now) {
                    if (agentNext <= now) {
                        agent.handleTimeout(now);
                    }
                    flush();
                    continue;
                }
                long waitMs = next == Timers.NEVER ? 1000 : Math.max(1, Math.min(1000, (next - now + 999_999) / 1_000_000));
                if (pump != null && selector.selectNow() == 0 && commands.isEmpty()) {
                    pump.idle();
                    selector.select(waitMs);
                } else if (pump == null) {
                    selector.select(waitMs);
                }
                for (SelectionKey k : selector.selectedKeys()) {
                    if (k.isValid() && k.attachment() instanceof Integer id && id != 0) {
                        receiveAll((DatagramChannel) k.channel(), id);
                    }
                }
                selector.selectedKeys().clear();
                receiveAll(channel, 0);
                flush();
            }
        } catch (IOException | RuntimeException e) {
            if (running) {
                sink.accept(new PeerEvent.RegistrationFailed(PeerEvent.FailureKind.CLOSED, "socket failed: " + e));
            }
        }
    }

    private void receiveAll(DatagramChannel ch, int socketId) throws IOException {
        for (int i = 0; i < 256; i++) {
            rx.clear();
            SocketAddress from;
            try {
                from = ch.receive(rx);
            } catch (java.net.PortUnreachableException e) {
                continue;
            } catch (IOException e) {
                if (socketId != 0) {
                    return; // an extra socket failing loses a probe, not the peer
                }
                throw e;
            }
            if (from == null) {
                return;
            }
            rx.flip();
            int len = rx.remaining();
            rx.get(rxBytes, 0, len);
            agent.handleInput(clock.nanoTime(), socketId, (InetSocketAddress) from, rxBytes, 0, len);
            sendAndDispatch();
        }
    }

    /** Sends what the agent emitted and hands its events on; pumps until nothing more comes. */
    private void flush() {
        while (true) {
            boolean dispatched = sendAndDispatch();
            boolean pumped = pump != null && pump.pump();
            if (!dispatched && !pumped) {
                return;
            }
        }
    }

    /** {@return true if any event was handed on} */
    private boolean sendAndDispatch() {
        boolean any = false;
        Transmit t;
        while ((t = agent.pollTransmit()) != null) {
            try {
                DatagramChannel ch = t.socket() == 0 ? channel : extraSocket(t.socket());
                if (ch != null) {
                    ch.send(ByteBuffer.wrap(t.payload()), t.destination());
                }
            } catch (IOException e) {
                // Unreachable private candidates fail here ("network unreachable"): a lost datagram.
            }
        }
        PeerEvent e;
        while ((e = agent.pollEvent()) != null) {
            any = true;
            if (e instanceof PeerEvent.SocketsReleased r) {
                r.sockets().forEach(this::closeExtra);
            } else {
                sink.accept(e);
            }
        }
        return any;
    }

    private DatagramChannel extraSocket(int id) {
        DatagramChannel ch = extra.get(id);
        if (ch != null) {
            return ch;
        }
        try {
            ch = DatagramChannel.open(java.net.StandardProtocolFamily.INET);
            ch.bind(new InetSocketAddress(0));
            ch.configureBlocking(false);
            ch.register(selector, SelectionKey.OP_READ, id);
            extra.put(id, ch);
            return ch;
        } catch (IOException ex) {
            return null; // out of sockets: this probe is lost
        }
    }

    private void closeExtra(int id) {
        DatagramChannel ch = extra.remove(id);
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing
            }
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
            for (DatagramChannel ch : extra.values()) {
                ch.close();
            }
            selector.close();
            channel.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
