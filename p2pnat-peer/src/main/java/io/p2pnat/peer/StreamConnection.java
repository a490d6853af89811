package io.p2pnat.peer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A reliable, ordered byte stream to one peer: read and write it like a socket. It runs either as
 * QUIC (RFC 9000) inside a {@link Connection}'s sealed datagrams, going wherever the connection's
 * path goes (direct, relayed, repaired: not a byte lost or doubled), or over a TCP path (RFC 5128
 * §3.4) when UDP has none; {@link #info()} says which ({@code transport} "quic" or "tcp").
 * Both sides are authenticated by their identity keys before it is handed over.
 * {@link #shutdownOutput()} half-closes (the peer reads end of stream and can still answer);
 * when the peer goes away, reads return end of stream or throw an IOException saying so.
 */
public final class StreamConnection implements AutoCloseable {
    private final ConnectionInfo info;
    private final SocketChannel channel;
    private final InputStream in;
    private final OutputStream out;
    private final Connection connection;
    private final io.p2pnat.peer.internal.QuicStream quic;
    private final boolean ownsConnection;

    StreamConnection(io.p2pnat.core.peer.ConnectionInfo info, SocketChannel channel, byte[] alreadyRead) {
        this.connection = null;
        this.quic = null;
        this.ownsConnection = false;
        this.info = ConnectionInfo.of(info);
        this.channel = channel;
        this.in = new In(channel, alreadyRead);
        this.out = new Out(channel, info.peer());
    }

    /** A stream sealed end to end with the peer's identity key. */
    StreamConnection(io.p2pnat.core.peer.ConnectionInfo info, SocketChannel channel,
                     io.p2pnat.peer.internal.SecureStream secure) {
        this.connection = null;
        this.quic = null;
        this.ownsConnection = false;
        this.info = ConnectionInfo.of(info);
        this.channel = channel;
        this.in = secure.inputStream();
        this.out = secure.outputStream();
    }

    /** A QUIC stream on {@code connection}; {@code owns}: closing the stream closes the connection too. */
    StreamConnection(Connection connection, io.p2pnat.peer.internal.QuicStream quic, boolean owns) {
        this.info = null;
        this.channel = null;
        this.connection = connection;
        this.quic = quic;
        this.ownsConnection = owns;
        this.in = quic.inputStream();
        this.out = quic.outputStream();
    }

    /**
     * {@return how the stream runs: technique, path, endpoints, setup time} For a QUIC stream this
     * is its connection's current path (it changes when the connection moves) with transport
     * "quic"; for a TCP stream the TCP path it was made on.
     */
    public ConnectionInfo info() {
        if (connection == null) {
            return info;
        }
        ConnectionInfo c = connection.info();
        return new ConnectionInfo(c.sessionId(), c.peer(), c.dialer(), "quic", c.technique(), c.via(), c.local(), c.remote(),
                c.mapped(), c.setupNanos(), c.checkRttNanos(), c.peerKey());
    }

    /**
     * {@return the datagram connection a QUIC stream runs in (its path events, more streams), or
     * null for a TCP stream}
     */
    public Connection connection() {
        return connection;
    }

    /** {@return the other peer's id} */
    public String peerId() {
        return info().peer();
    }

    /** {@return what the peer sends; end of stream once it shut down its output or closed} */
    public InputStream inputStream() {
        return in;
    }

    /** {@return what we send to the peer; closing it half-closes like {@link #shutdownOutput()}} */
    public OutputStream outputStream() {
        return out;
    }

    /**
     * Half-close: no more writes from us; we can still read what the peer sends.
     *
     * @throws IOException if the socket fails
     */
    public void shutdownOutput() throws IOException {
        if (quic != null) {
            quic.shutdownOutput();
            return;
        }
        channel.shutdownOutput();
    }

    /** {@return true until closed (by us; a peer's close shows as end of stream)} */
    public boolean isOpen() {
        return quic != null ? quic.isOpen() : channel.isOpen();
    }

    /**
     * Closes the stream both ways: the peer reads end of stream after everything written. A
     * stream from {@link Peer#dialStream} also closes the connection it made, once the stream is
     * over (or after {@link #LINGER}).
     */
    @Override
    public void close() {
        if (quic != null) {
            quic.close();
            if (ownsConnection) {
                quic.finished().completeOnTimeout(null, LINGER.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                        .thenRun(connection::close);
            }
            return;
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    /** How long a closed stream's own connection stays up for the last bytes to be acknowledged. */
    public static final java.time.Duration LINGER = java.time.Duration.ofSeconds(3);

    /** Reads straight from the channel: its read and write locks are separate, so a reader never blocks a writer. */
    private static final class In extends io.p2pnat.peer.internal.BulkInputStream {
        private final SocketChannel ch;
        private ByteBuffer pending;

        In(SocketChannel ch, byte[] alreadyRead) {
            this.ch = ch;
            this.pending = alreadyRead.length == 0 ? null : ByteBuffer.wrap(alreadyRead);
        }

        @Override
        protected int readSome(byte[] b, int off, int len) throws IOException {
            if (pending != null) {
                int n = Math.min(len, pending.remaining());
                pending.get(b, off, n);
                if (!pending.hasRemaining()) {
                    pending = null;
                }
                return n;
            }
            try {
                int n;
                do {
                    n = ch.read(ByteBuffer.wrap(b, off, len));
                } while (n == 0);
                return n;
            } catch (IOException e) {
                throw new IOException("stream to peer broke: " + e.getMessage(), e);
            }
        }

        @Override
        public int available() {
            return pending == null ? 0 : pending.remaining();
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    private static final class Out extends OutputStream {
        private final SocketChannel ch;
        private final String peer;

        Out(SocketChannel ch, String peer) {
            this.ch = ch;
            this.peer = peer;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            try {
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            } catch (IOException e) {
                throw new IOException("stream to '" + peer + "' broke: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() throws IOException {
            ch.shutdownOutput();
        }
    }
}
