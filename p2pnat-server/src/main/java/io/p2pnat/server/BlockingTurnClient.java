package io.p2pnat.server;

import io.p2pnat.core.Clock;
import io.p2pnat.core.Transmit;
import io.p2pnat.core.turn.TurnClient;
import io.p2pnat.core.turn.TurnClientEvent;
import io.p2pnat.wire.StunMethod;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * A small blocking driver of the sans-I/O {@link TurnClient} over a {@link DatagramSocket}, for
 * tests, benchmarks and tools: one thread calls it; each call pumps the socket until what it waits
 * for arrives. Data arriving meanwhile is queued for {@link #receive}.
 *
 * <pre>{@code
 * try (BlockingTurnClient c = BlockingTurnClient.open(server, "alice", "secret")) {
 *     InetSocketAddress relayed = c.allocate(Duration.ofSeconds(5));
 *     c.createPermission(Duration.ofSeconds(5), peer.getAddress());
 *     c.send(peer, bytes);
 *     TurnClientEvent.Data d = c.receive(Duration.ofSeconds(1));
 * }
 * }</pre>
 */
public final class BlockingTurnClient implements AutoCloseable {
    /** A TURN request failed: an error response or no answer (code 408). */
    public static final class TurnFailure extends IOException {
        private static final long serialVersionUID = 1L;
        private final int code;

        TurnFailure(String method, int code, String reason) {
            super(method + " failed: " + code + (reason == null || reason.isEmpty() ? "" : " " + reason));
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    private final DatagramSocket socket;
    private final TurnClient client;
    private final Clock clock = Clock.system();
    private final ArrayDeque<TurnClientEvent.Data> inbox = new ArrayDeque<>();
    private final ArrayDeque<TurnClientEvent> events = new ArrayDeque<>();
    private final byte[] buf = new byte[65536];

    private BlockingTurnClient(DatagramSocket socket, TurnClient client) {
        this.socket = socket;
        this.client = client;
    }

    /** Opens a UDP socket (any local port) for talking to {@code server}. */
    public static BlockingTurnClient open(InetSocketAddress server, String username, String password) throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(server.getAddress().isLoopbackAddress()
                ? server.getAddress() : null, 0));
        s.setReceiveBufferSize(1 << 20);
        return new BlockingTurnClient(s, new TurnClient(server, username, password, new SecureRandom()));
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** Allocates (RFC 8656 §7); returns the relayed transport address. */
    public InetSocketAddress allocate(Duration timeout) throws IOException {
        client.allocate(clock.nanoTime());
        return await(TurnClientEvent.Allocated.class, timeout).relayed();
    }

    /** Installs permissions for these peers' addresses (§10). */
    public void createPermission(Duration timeout, InetAddress... peers) throws IOException {
        client.createPermission(clock.nanoTime(), peers);
        await(TurnClientEvent.PermissionsCreated.class, timeout);
    }

    /** Binds a channel to {@code peer} (§12); returns its number. */
    public int bindChannel(InetSocketAddress peer, Duration timeout) throws IOException {
        client.bindChannel(clock.nanoTime(), peer);
        return await(TurnClientEvent.ChannelBound.class, timeout).number();
    }

    /** Refreshes (§8); {@code lifetimeSeconds} 0 deletes the allocation. */
    public void refresh(long lifetimeSeconds, Duration timeout) throws IOException {
        client.refresh(clock.nanoTime(), lifetimeSeconds);
        if (lifetimeSeconds == 0) {
            await(TurnClientEvent.Deleted.class, timeout);
        } else {
            await(TurnClientEvent.Refreshed.class, timeout);
        }
    }

    /** Sends to a peer through the relay (ChannelData if bound, else a Send indication). */
    public void send(InetSocketAddress peer, byte[] data) throws IOException {
        client.send(peer, data);
        flush();
    }

    /** The next datagram from a peer, or null if none arrives in time. */
    public TurnClientEvent.Data receive(Duration timeout) throws IOException {
        long deadline = clock.nanoTime() + timeout.toNanos();
        while (inbox.isEmpty()) {
            if (!pump(deadline)) {
                return null;
            }
        }
        return inbox.poll();
    }

    private <T extends TurnClientEvent> T await(Class<T> type, Duration timeout) throws IOException {
        long deadline = clock.nanoTime() + timeout.toNanos();
        while (true) {
            collect();
            TurnClientEvent e;
            while ((e = events.poll()) != null) {
                if (type.isInstance(e)) {
                    return type.cast(e);
                }
                if (e instanceof TurnClientEvent.Failed f) {
                    throw new TurnFailure(StunMethod.name(f.method()), f.code(), f.reason());
                }
            }
            if (!pump(deadline)) {
                throw new TurnFailure(type.getSimpleName(), 408, "no answer in time");
            }
        }
    }

    /** Sends what is queued, waits for one datagram or a timer; false once past the deadline. */
    private boolean pump(long deadline) throws IOException {
        flush();
        long now = clock.nanoTime();
        if (now >= deadline) {
            return false;
        }
        long wake = Math.min(deadline, client.nextTimeout());
        int waitMs = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (wake - now) / 1_000_000));
        socket.setSoTimeout(waitMs);
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
            socket.receive(p);
            client.handleInput(clock.nanoTime(), (InetSocketAddress) p.getSocketAddress(), p.getData(), p.getOffset(), p.getLength());
        } catch (SocketTimeoutException e) {
            // timers below
        }
        if (clock.nanoTime() >= client.nextTimeout()) {
            client.handleTimeout(clock.nanoTime());
        }
        flush();
        collect();
        return true;
    }

    private void collect() {
        TurnClientEvent e;
        while ((e = client.pollEvent()) != null) {
            if (e instanceof TurnClientEvent.Data d) {
                inbox.add(d);
            } else {
                events.add(e);
            }
        }
    }

    private void flush() throws IOException {
        Transmit t;
        while ((t = client.pollTransmit()) != null) {
            socket.send(new DatagramPacket(t.payload(), t.payload().length, t.destination()));
        }
    }

    /** Deletes the allocation (best effort, 1 s) and closes the socket. */
    @Override
    public void close() {
        try {
            if (client.relayedAddress() != null) {
                refresh(0, Duration.ofSeconds(1));
            }
        } catch (IOException e) {
            // closing anyway
        } finally {
            socket.close();
        }
    }
}
