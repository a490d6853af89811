package io.p2pnat.peer.internal;

import io.p2pnat.core.secure.SecureChannel;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A TCP stream sealed end to end (RFC 5128 §6.3): the Noise KK handshake runs first, then every
 * record is [2-byte length][nonce, ciphertext, tag]. Only the peer holding the identity key the
 * server vouched for completes the handshake; a relay in between sees ciphertext only.
 */
public final class SecureStream {
    /** Largest plaintext per record. */
    static final int MAX_RECORD = 65_000;

    private final SocketChannel channel;
    private final SecureChannel secure;
    private final RawIn raw;

    private SecureStream(SocketChannel channel, SecureChannel secure, RawIn raw) {
        this.channel = channel;
        this.secure = secure;
        this.raw = raw;
    }

    /**
     * The peer answered our handshake in a way only another identity key explains: its answer
     * did not authenticate, or it closed the stream on our first message (as a responder whose
     * key does not match ours does). A stream that breaks or stays silent is no such proof.
     */
    public static final class HandshakeRefused extends IOException {
        private static final long serialVersionUID = 1L;

        HandshakeRefused(String message) {
            super(message);
        }
    }

    /**
     * Runs the handshake on a blocking channel. {@code alreadyRead}: stream bytes read before.
     *
     * @throws HandshakeRefused if the peer refused it (see there)
     * @throws IOException      if the stream broke or the peer did not answer within {@code timeoutMs}
     */
    public static SecureStream establish(SocketChannel channel, SecureChannel secure, byte[] alreadyRead, long timeoutMs)
            throws IOException {
        RawIn raw = new RawIn(channel, alreadyRead);
        if (secure.established()) {
            return new SecureStream(channel, secure, raw); // the handshake rode on the stream's authentication
        }
        java.util.concurrent.atomic.AtomicBoolean timedOut = new java.util.concurrent.atomic.AtomicBoolean();
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(timeoutMs);
                timedOut.set(true);
                channel.close();
            } catch (InterruptedException | IOException e) {
                // done in time
            }
        }, "secure-stream-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        try {
            if (secure.isInitiator()) {
                writeRecord(channel, secure.firstMessage());
                byte[] answer = raw.record();
                if (answer == null) {
                    throw new HandshakeRefused("the peer closed the stream on our handshake message: it does not hold"
                            + " the identity key the server vouched for (or does not accept ours)");
                }
                secure.onHandshake(answer);
            } else {
                byte[] first = raw.record();
                if (first == null) {
                    throw new IOException("the peer closed the stream before the secure handshake");
                }
                writeRecord(channel, secure.onHandshake(first));
            }
        } catch (SecureChannel.SecureChannelException e) {
            throw new HandshakeRefused("the peer's handshake does not authenticate (" + e.getMessage()
                    + "): it does not hold the identity key the server vouched for");
        } catch (HandshakeRefused e) {
            throw e;
        } catch (IOException e) {
            if (timedOut.get()) {
                throw new IOException("no answer to the secure handshake within " + timeoutMs + " ms", e);
            }
            throw new IOException("the stream broke during the secure handshake: " + e.getMessage(), e);
        } finally {
            watchdog.interrupt();
        }
        if (!secure.established()) {
            throw new IOException("secure handshake did not complete");
        }
        return new SecureStream(channel, secure, raw);
    }

    public InputStream inputStream() {
        return new In();
    }

    public OutputStream outputStream() {
        return new Out();
    }

    static void writeRecord(SocketChannel ch, byte[] body) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(2 + body.length).putShort((short) body.length).put(body);
        b.flip();
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Reads raw bytes: first those read before the hand-over, then the channel. */
    private static final class RawIn {
        private final SocketChannel ch;
        private ByteBuffer prefix;

        RawIn(SocketChannel ch, byte[] alreadyRead) {
            this.ch = ch;
            this.prefix = ByteBuffer.wrap(alreadyRead);
        }

        /** The next record's body, or null at a clean end of stream. */
        byte[] record() throws IOException {
            byte[] len = new byte[2];
            if (!fill(len, true)) {
                return null;
            }
            byte[] body = new byte[((len[0] & 0xFF) << 8) | (len[1] & 0xFF)];
            fill(body, false);
            return body;
        }

        private boolean fill(byte[] dst, boolean eofOk) throws IOException {
            int got = 0;
            while (got < dst.length) {
                if (prefix != null && prefix.hasRemaining()) {
                    int n = Math.min(prefix.remaining(), dst.length - got);
                    prefix.get(dst, got, n);
                    got += n;
                    continue;
                }
                int n = ch.read(ByteBuffer.wrap(dst, got, dst.length - got));
                if (n < 0) {
                    if (got == 0 && eofOk) {
                        return false;
                    }
                    throw new EOFException("stream ended inside a record");
                }
                got += n;
            }
            return true;
        }
    }

    private final class In extends BulkInputStream {
        private byte[] buf = new byte[0];
        private int pos;
        private boolean eof;

        @Override
        protected int readSome(byte[] b, int off, int len) throws IOException {
            while (pos == buf.length) {
                if (eof) {
                    return -1;
                }
                byte[] rec;
                try {
                    rec = raw.record();
                } catch (IOException e) {
                    throw new IOException("stream to peer broke: " + e.getMessage(), e);
                }
                if (rec == null) {
                    eof = true;
                    return -1;
                }
                byte[] plain = secure.open(rec, 0, rec.length);
                if (plain == null) {
                    throw new IOException("stream to peer broke: a record failed authentication");
                }
                buf = plain;
                pos = 0;
            }
            int n = Math.min(len, buf.length - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public int available() {
            return buf.length - pos;
        }
    }

    private final class Out extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            try {
                while (len > 0) {
                    int n = Math.min(len, MAX_RECORD);
                    byte[] chunk = new byte[n];
                    System.arraycopy(b, off, chunk, 0, n);
                    writeRecord(channel, secure.seal(chunk));
                    off += n;
                    len -= n;
                }
            } catch (IOException e) {
                throw new IOException("stream to peer broke: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() throws IOException {
            channel.shutdownOutput();
        }
    }
}
