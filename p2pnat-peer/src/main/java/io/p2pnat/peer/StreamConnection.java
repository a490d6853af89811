package io.p2pnat.peer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A reliable byte stream to one peer over TCP (RFC 5128 §3.4): read and write it like a socket.
 * Both sides proved the introduction's credentials on it before it was handed over.
 * {@link #shutdownOutput()} half-closes (the peer reads end of stream and can still answer);
 * when the peer goes away, reads return end of stream or throw an IOException saying so.
 */
public final class StreamConnection implements AutoCloseable {
    private final ConnectionInfo info;
    private final SocketChannel channel;
    private final InputStream in;
    private final OutputStream out;

    StreamConnection(io.p2pnat.core.peer.ConnectionInfo info, SocketChannel channel, byte[] alreadyRead) {
        this.info = ConnectionInfo.of(info);
        this.channel = channel;
        this.in = new In(channel, alreadyRead);
        this.out = new Out(channel, info.peer());
    }

    /** A stream sealed end to end with the peer's identity key. */
    StreamConnection(io.p2pnat.core.peer.ConnectionInfo info, SocketChannel channel,
                     io.p2pnat.peer.internal.SecureStream secure) {
        this.info = ConnectionInfo.of(info);
        this.channel = channel;
        this.in = secure.inputStream();
        this.out = secure.outputStream();
    }

    /** {@return how the stream was made: technique, path, endpoints, setup time} */
    public ConnectionInfo info() {
        return info;
    }

    /** {@return the other peer's id} */
    public String peerId() {
        return info.peer();
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
        channel.shutdownOutput();
    }

    /** {@return true until closed (by us; a peer's close shows as end of stream)} */
    public boolean isOpen() {
        return channel.isOpen();
    }

    /** Closes the stream both ways. */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    /** Reads straight from the channel: its read and write locks are separate, so a reader never blocks a writer. */
    private static final class In extends InputStream {
        private final SocketChannel ch;
        private ByteBuffer pending;

        In(SocketChannel ch, byte[] alreadyRead) {
            this.ch = ch;
            this.pending = alreadyRead.length == 0 ? null : ByteBuffer.wrap(alreadyRead);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n <= 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
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
