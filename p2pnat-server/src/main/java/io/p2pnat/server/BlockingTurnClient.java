package io.p2pnat.server;

import io.p2pnat.core.Clock;
import io.p2pnat.core.Transmit;
import io.p2pnat.core.stream.StreamFramer;
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
 * A small blocking driver of the sans-I/O {@link TurnClient} over a {@link DatagramSocket}, or
 * over a TCP connection to the server ({@link #openTcp}, RFC 8656 §3.1), for
 * tests, benchmarks and tools: one thread calls it; each call pumps the socket until what it waits
 * for arrives. Data arriving meanwhile is queued for {@link #receive}.
 *
 * <pre>{@code
 * try (BlockingTurnClient c = BlockingTurnClient.open(server, "alice", "secret")) {
 *     InetSocketAddress relayed = c.allocate(Duration.ofSeconds(5));
 *     c.createPermission(Duration.ofSeconds(5), peer.getAddress());
 *     c.send(peer, bytes);
 *     BlockingTurnClient.Received d = c.receive(Duration.ofSeconds(1));
 * }
 * }</pre>
 */
public final class BlockingTurnClient implements AutoCloseable {
    /** A TURN request failed: an error response or no answer (code 408). */
    public static final class TurnFailure extends IOException {
        private static final long serialVersionUID = 1L;
        /** The STUN error code, or 408 for no answer. */
        private final int code;

        TurnFailure(String method, int code, String reason) {
            super(method + " failed: " + code + (reason == null || reason.isEmpty() ? "" : " " + reason));
            this.code = code;
        }

        /** {@return the STUN error code (RFC 8489 §14.8), or 408 when no answer came in time} */
        public int code() {
            return code;
        }
    }

    /**
     * A datagram from a peer, relayed by the server (a Data indication or ChannelData).
     *
     * @param peer the peer's address, as the server saw it
     * @param data the datagram's payload
     */
    public record Received(InetSocketAddress peer, byte[] data) {
    }

    private final DatagramSocket socket;
    /** The connection to the server when over TCP (then {@link #socket} is null). */
    private final java.net.Socket tcp;
    /** Splits what is read from {@link #tcp} into messages; holds the bytes of one not yet whole. */
    private final StreamFramer framer = new StreamFramer(StreamFramer.Mode.TURN);
    private final TurnClient client;
    private final Clock clock = Clock.system();
    private final ArrayDeque<TurnClientEvent.Data> inbox = new ArrayDeque<>();
    private final ArrayDeque<TurnClientEvent> events = new ArrayDeque<>();
    private final byte[] buf = new byte[65536];

    private BlockingTurnClient(DatagramSocket socket, java.net.Socket tcp, TurnClient client) {
        this.socket = socket;
        this.tcp = tcp;
        this.client = client;
    }

    /**
     * Opens a UDP socket (any local port) for talking to {@code server}.
     *
     * @param server   the TURN server
     * @param username the long-term credential's username
     * @param password its password
     * @return the client, with nothing allocated yet
     * @throws IOException if the socket cannot be opened
     */
    public static BlockingTurnClient open(InetSocketAddress server, String username, String password) throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(server.getAddress().isLoopbackAddress()
                ? server.getAddress() : null, 0));
        s.setReceiveBufferSize(1 << 20);
        return new BlockingTurnClient(s, null, new TurnClient(server, username, password, new SecureRandom()));
    }

    /**
     * Connects to {@code server} over TCP (TURN over TCP, RFC 8656 §3.1); the relay towards peers stays UDP.
     *
     * @param server   the TURN server
     * @param username the long-term credential's username
     * @param password its password
     * @return the client, with nothing allocated yet
     * @throws IOException if the connection fails (5 s timeout)
     */
    public static BlockingTurnClient openTcp(InetSocketAddress server, String username, String password) throws IOException {
        java.net.Socket s = new java.net.Socket();
        try {
            s.connect(server, 5000);
            s.setTcpNoDelay(true);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return new BlockingTurnClient(null, s, new TurnClient(server, username, password, new SecureRandom()).overTcp());
    }

    /**
     * Connects to {@code server} over TLS (TURN over TLS, the {@code turns:} URI), trusting what
     * {@code tls} trusts and checking the server's name against {@code serverName}.
     *
     * @param server     the TURN server
     * @param serverName the name its certificate must carry (also sent as SNI)
     * @param tls        what to trust
     * @param username   the long-term credential's username
     * @param password   its password
     * @return the client, with nothing allocated yet
     * @throws IOException if the connection or the TLS handshake fails
     */
    public static BlockingTurnClient openTls(InetSocketAddress server, String serverName, javax.net.ssl.SSLContext tls,
                                             String username, String password) throws IOException {
        javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) tls.getSocketFactory().createSocket();
        try {
            s.connect(server, 5000);
            s.setTcpNoDelay(true);
            javax.net.ssl.SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setServerNames(java.util.List.of(new javax.net.ssl.SNIHostName(serverName)));
            s.setSSLParameters(p);
            s.startHandshake();
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return new BlockingTurnClient(null, s, new TurnClient(server, username, password, new SecureRandom()).overTcp());
    }

    /** {@return the local address of the socket or connection to the server} */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) (tcp != null ? tcp.getLocalSocketAddress() : socket.getLocalSocketAddress());
    }

    /**
     * Allocates (RFC 8656 §7).
     *
     * @param timeout how long to wait for the server
     * @return the relayed transport address
     * @throws IOException a {@link TurnFailure} if refused or unanswered, or if the socket fails
     */
    public InetSocketAddress allocate(Duration timeout) throws IOException {
        client.allocate(clock.nanoTime());
        return await(TurnClientEvent.Allocated.class, timeout).relayed();
    }

    /**
     * Installs permissions for these peers' addresses (§10).
     *
     * @param timeout how long to wait for the server
     * @param peers   the peers' addresses
     * @throws IOException a {@link TurnFailure} if refused or unanswered, or if the socket fails
     */
    public void createPermission(Duration timeout, InetAddress... peers) throws IOException {
        client.createPermission(clock.nanoTime(), peers);
        await(TurnClientEvent.PermissionsCreated.class, timeout);
    }

    /**
     * Binds a channel to {@code peer} (§12).
     *
     * @param peer    the peer's address
     * @param timeout how long to wait for the server
     * @return the channel number
     * @throws IOException a {@link TurnFailure} if refused or unanswered, or if the socket fails
     */
    public int bindChannel(InetSocketAddress peer, Duration timeout) throws IOException {
        client.bindChannel(clock.nanoTime(), peer);
        return await(TurnClientEvent.ChannelBound.class, timeout).number();
    }

    /**
     * Refreshes (§8); {@code lifetimeSeconds} 0 deletes the allocation.
     *
     * @param lifetimeSeconds the lifetime asked for, 0 to delete
     * @param timeout         how long to wait for the server
     * @throws IOException a {@link TurnFailure} if refused or unanswered, or if the socket fails
     */
    public void refresh(long lifetimeSeconds, Duration timeout) throws IOException {
        client.refresh(clock.nanoTime(), lifetimeSeconds);
        if (lifetimeSeconds == 0) {
            await(TurnClientEvent.Deleted.class, timeout);
        } else {
            await(TurnClientEvent.Refreshed.class, timeout);
        }
    }

    /**
     * Sends to a peer through the relay (ChannelData if bound, else a Send indication).
     *
     * @param peer the peer's address
     * @param data the datagram's payload
     * @throws IOException if the socket fails
     */
    public void send(InetSocketAddress peer, byte[] data) throws IOException {
        client.send(peer, data);
        flush();
    }

    /**
     * The next datagram from a peer.
     *
     * @param timeout how long to wait
     * @return the datagram, or null if none arrives in time
     * @throws IOException if the socket fails
     */
    public Received receive(Duration timeout) throws IOException {
        long deadline = clock.nanoTime() + timeout.toNanos();
        while (inbox.isEmpty()) {
            if (!pump(deadline)) {
                return null;
            }
        }
        TurnClientEvent.Data d = inbox.poll();
        return new Received(d.peer(), d.data());
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
        try {
            if (tcp != null) {
                tcp.setSoTimeout(waitMs);
                int n = tcp.getInputStream().read(buf);
                if (n < 0) {
                    throw new IOException("the TURN server closed the connection");
                }
                streamInput(n);
            } else {
                socket.setSoTimeout(waitMs);
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                client.handleInput(clock.nanoTime(), (InetSocketAddress) p.getSocketAddress(), p.getData(), p.getOffset(),
                        p.getLength());
            }
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

    /**
     * Splits the stream into messages (RFC 8656 §12.5: STUN is 20 bytes plus its length,
     * ChannelData 4 plus its length padded to four) and hands each to the client.
     */
    private void streamInput(int n) throws IOException {
        framer.feed(buf, 0, n);
        try {
            for (byte[] message; (message = framer.next()) != null; ) {
                client.handleInput(clock.nanoTime(), client.server(), message, 0, message.length);
            }
        } catch (StreamFramer.StreamFormatException e) {
            throw new IOException("the TURN server sent something that is neither STUN nor ChannelData", e);
        }
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
            if (tcp != null) {
                tcp.getOutputStream().write(t.payload());
            } else {
                socket.send(new DatagramPacket(t.payload(), t.payload().length, t.destination()));
            }
        }
    }

    /** For tests: closes the socket at once, without deleting the allocation first. */
    void dropConnection() throws IOException {
        if (tcp != null) {
            tcp.close();
        } else {
            socket.close();
        }
    }

    /** Deletes the allocation (best effort, 1 s) and closes the socket. */
    @Override
    public void close() {
        try {
            if (client.relayedAddress() != null && (tcp == null ? !socket.isClosed() : !tcp.isClosed())) {
                refresh(0, Duration.ofSeconds(1));
            }
        } catch (IOException e) {
            // closing anyway
        } finally {
            if (tcp != null) {
                try {
                    tcp.close();
                } catch (IOException e) {
                    // closed anyway
                }
            } else {
                socket.close();
            }
        }
    }
}
