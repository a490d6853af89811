package io.p2pnat.peer;

import io.p2pnat.core.peer.PeerAgent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A datagram channel to one peer over the path the connector chose. Messages are delivered
 * whole, unordered and unreliable, like UDP. Reliable streams run inside it ({@link #openStream},
 * {@link #acceptStream}) and follow it across path changes.
 */
public final class Connection implements AutoCloseable {
    private static final byte[] CLOSED_MARK = new byte[0];

    private final Peer peer;
    private final long sessionId;
    private final ConnectionInfo initialInfo;
    private volatile ConnectionInfo info;
    private final BlockingQueue<byte[]> inbox = new LinkedBlockingQueue<>();
    private final List<Consumer<ConnectionInfo>> pathListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<PathEvent>> pathEventListeners = new CopyOnWriteArrayList<>();
    private volatile String closedReason;

    Connection(Peer peer, io.p2pnat.core.peer.ConnectionInfo info) {
        this.peer = peer;
        this.sessionId = info.sessionId();
        this.initialInfo = ConnectionInfo.of(info);
        this.info = initialInfo;
    }

    /**
     * {@return the path in use now: technique, endpoints, setup time} It changes when a relayed
     * session goes direct.
     */
    public ConnectionInfo info() {
        return info;
    }

    /** {@return how the connection was first made} */
    public ConnectionInfo initialInfo() {
        return initialInfo;
    }

    /**
     * Calls {@code listener} (on the peer's I/O thread; keep it short) whenever the session moves
     * to another path, e.g. from the relay to a direct path.
     *
     * @param listener called with the new path
     */
    public void onPathChange(Consumer<ConnectionInfo> listener) {
        pathListeners.add(listener);
    }

    /**
     * Calls {@code listener} (on the peer's I/O thread; keep it short) when the path is lost,
     * repaired or changed: see {@link PathEvent}. The connection never closes for a fault it can
     * repair; it closes when the peer stays silent for a minute.
     *
     * @param listener called with each event
     */
    public void onPathEvent(Consumer<PathEvent> listener) {
        pathEventListeners.add(listener);
    }

    void pathChanged(io.p2pnat.core.peer.ConnectionInfo changed) {
        ConnectionInfo newInfo = ConnectionInfo.of(changed);
        firePathEvent(new PathEvent(PathEvent.Kind.CHANGED, newInfo, "", Duration.ZERO));
        moved(newInfo);
    }

    void pathLost(io.p2pnat.core.peer.ConnectionInfo last, String reason) {
        firePathEvent(new PathEvent(PathEvent.Kind.LOST, ConnectionInfo.of(last), reason, Duration.ZERO));
    }

    void pathRepaired(io.p2pnat.core.peer.ConnectionInfo now, long outageNanos) {
        ConnectionInfo newInfo = ConnectionInfo.of(now);
        firePathEvent(new PathEvent(PathEvent.Kind.REPAIRED, newInfo, "", Duration.ofNanos(outageNanos)));
        moved(newInfo);
    }

    private void moved(ConnectionInfo newInfo) {
        this.info = newInfo;
        for (Consumer<ConnectionInfo> l : pathListeners) {
            l.accept(newInfo);
        }
    }

    private void firePathEvent(PathEvent e) {
        for (Consumer<PathEvent> l : pathEventListeners) {
            l.accept(e);
        }
    }

    /** {@return the other peer's id} */
    public String peerId() {
        return info.peer();
    }

    /** {@return the largest message, in bytes, that {@link #send} takes} */
    public static int maxMessageSize() {
        return PeerAgent.maxPayload();
    }

    /**
     * Sends one message (up to {@link #maxMessageSize()} bytes).
     *
     * @param message the message (copied)
     * @throws P2pException CLOSED if the connection is closed, BAD_ARGUMENT if too large
     */
    public void send(byte[] message) throws P2pException {
        if (closedReason != null) {
            throw new P2pException(P2pException.Reason.CLOSED, "connection to '" + info.peer() + "' is closed: " + closedReason);
        }
        if (message.length > maxMessageSize()) {
            throw new P2pException(P2pException.Reason.BAD_ARGUMENT, "message of " + message.length + " bytes exceeds " + maxMessageSize());
        }
        peer.send(sessionId, message.clone());
    }

    /**
     * The next message, waiting up to {@code timeout}.
     *
     * @param timeout how long to wait
     * @return the message, or null on timeout
     * @throws P2pException CLOSED once the peer closed the connection or went silent
     * @throws InterruptedException if interrupted while waiting
     */
    public byte[] receive(Duration timeout) throws P2pException, InterruptedException {
        byte[] m = inbox.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (m == CLOSED_MARK) {
            inbox.add(CLOSED_MARK);
            throw new P2pException(P2pException.Reason.CLOSED, "connection to '" + info.peer() + "' closed: " + closedReason);
        }
        return m;
    }

    /**
     * Opens a reliable, ordered byte stream to the peer inside this connection (QUIC, sealed like
     * the datagrams, on the current path). The first stream of a connection costs one round trip
     * (QUIC's handshake); later ones none. Open as many as you need; the peer takes them with
     * {@link #acceptStream} or {@link Peer#acceptStream}.
     *
     * @param timeout how long to wait for the stream
     * @return the stream
     * @throws P2pException CLOSED if the connection is closed, PEER_UNREACHABLE if no stream
     *                      came up within {@code timeout}
     */
    public StreamConnection openStream(Duration timeout) throws P2pException {
        return openStream(timeout, false);
    }

    StreamConnection openStream(Duration timeout, boolean owned) throws P2pException {
        if (closedReason != null) {
            throw new P2pException(P2pException.Reason.CLOSED, "connection to '" + info.peer() + "' is closed: " + closedReason);
        }
        java.util.concurrent.CompletableFuture<io.p2pnat.peer.internal.QuicStream> f = peer.openStream(sessionId);
        try {
            return new StreamConnection(this, f.get(timeout.toMillis(), TimeUnit.MILLISECONDS), owned);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new P2pException(closedReason != null ? P2pException.Reason.CLOSED : P2pException.Reason.PEER_UNREACHABLE,
                    "no stream to '" + info.peer() + "': " + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            f.thenAccept(io.p2pnat.peer.internal.QuicStream::close); // came too late: the peer reads end of stream
            throw new P2pException(P2pException.Reason.PEER_UNREACHABLE, "no stream to '" + info.peer() + "' within "
                    + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new P2pException(P2pException.Reason.CLOSED, "interrupted");
        }
    }

    /**
     * Waits for a stream the peer opened on this connection.
     *
     * @param timeout how long to wait
     * @return the stream, or null if none came within {@code timeout}
     * @throws P2pException CLOSED if the connection is closed
     * @throws InterruptedException if interrupted while waiting
     */
    public StreamConnection acceptStream(Duration timeout) throws P2pException, InterruptedException {
        if (closedReason != null) {
            throw new P2pException(P2pException.Reason.CLOSED, "connection to '" + info.peer() + "' is closed: " + closedReason);
        }
        return peer.acceptStreamOn(this, timeout);
    }

    /** {@return true once closed by either side} */
    public boolean isClosed() {
        return closedReason != null;
    }

    void deliver(byte[] payload) {
        inbox.add(payload);
    }

    void remoteClosed(String reason) {
        closedReason = reason;
        inbox.add(CLOSED_MARK);
    }

    /** Closes the connection and tells the peer. */
    @Override
    public void close() {
        if (closedReason == null) {
            closedReason = "closed locally";
            inbox.add(CLOSED_MARK);
            peer.closeSession(sessionId);
        }
    }
}
