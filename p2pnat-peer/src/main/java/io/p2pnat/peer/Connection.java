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
 * whole, unordered and unreliable, like UDP (the TCP stream comes with TCP hole punching).
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
