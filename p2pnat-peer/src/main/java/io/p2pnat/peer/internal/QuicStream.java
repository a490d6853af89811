package io.p2pnat.peer.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.incubator.codec.quic.DefaultQuicStreamFrame;
import io.netty.incubator.codec.quic.QuicStreamChannel;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One QUIC stream seen as a blocking {@link InputStream} and {@link OutputStream}. The channel
 * lives on the peer's I/O thread; the application's threads hand it work through {@code io}.
 * Both directions are bounded: reading from QUIC pauses while {@link #READ_HIGH} bytes wait for the
 * application (QUIC's flow control then holds the sender), and a writer blocks while
 * {@link #WRITE_LIMIT} bytes are not yet taken by QUIC.
 */
public final class QuicStream extends ChannelInboundHandlerAdapter {
    static final long READ_HIGH = 8L << 20;
    static final long READ_LOW = 2L << 20;
    static final int WRITE_LIMIT = 4 << 20;
    private static final int CHUNK = 64 * 1024;
    private static final byte[] EOF = new byte[0];

    /**
     * The first byte of every stream: QUIC tells the other side of a stream only when bytes flow
     * on it, so the opener sends this at once and the other side hands the stream on when it comes
     * (and knows the stream's format by it).
     */
    static final byte OPENING = 0x01;

    private final Executor io;
    private final String peer;
    /** The other side's stream: called once its opening byte came; null for one we opened. */
    private Runnable announced;
    private volatile QuicStreamChannel channel;
    private final BlockingQueue<byte[]> inbox = new LinkedBlockingQueue<>();
    private final AtomicLong buffered = new AtomicLong();
    private volatile boolean readPaused;
    private final Semaphore writeRoom = new Semaphore(WRITE_LIMIT);
    private volatile Throwable failure;
    private volatile boolean outputShut;
    private volatile boolean closed;
    private volatile boolean inputEnded;
    /** Bytes read and not yet handed to the reader (I/O thread only). */
    private byte[] gathering;
    private int gathered;
    /** Hand the reader at least this much at once while data keeps coming. */
    private static final int HAND_OVER = 256 * 1024;
    private final java.util.concurrent.CompletableFuture<Void> finished = new java.util.concurrent.CompletableFuture<>();
    private final In in = new In();
    private final Out out = new Out();

    /**
     * @param io   runs a task on the stream's I/O thread (and lets that thread flush what it wrote)
     * @param peer the peer's id, for error messages
     */
    QuicStream(Executor io, String peer, Runnable announced) {
        this.io = io;
        this.peer = peer;
        this.announced = announced;
    }

    public InputStream inputStream() {
        return in;
    }

    public OutputStream outputStream() {
        return out;
    }

    /** Sends what was written, then end of stream (QUIC FIN); reading goes on. */
    public void shutdownOutput() throws IOException {
        if (!outputShut) {
            outputShut = true;
            io.execute(() -> {
                QuicStreamChannel ch = channel;
                if (ch != null && ch.isActive()) {
                    // A FIN after whatever is still queued (shutdownOutput() would cut it off).
                    ch.writeAndFlush(new DefaultQuicStreamFrame(Unpooled.EMPTY_BUFFER, true));
                }
            });
        }
    }

    /** {@return completes when the stream is over both ways (or broke)} */
    public java.util.concurrent.CompletableFuture<Void> finished() {
        return finished;
    }

    public boolean isOpen() {
        return !closed && failure == null;
    }

    /** Closes both ways: end of stream for the peer after what was written; unread input is dropped. */
    public void close() {
        if (closed) {
            return;
        }
        try {
            shutdownOutput();
        } catch (IOException ignored) {
            // the stream broke: nothing more to send
        }
        closed = true;
        inbox.add(EOF);
    }

    // --- on the I/O thread ---------------------------------------------------------------------

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = (QuicStreamChannel) ctx.channel();
        channel.config().setAutoRead(false);
        channel.config().setRecvByteBufAllocator(new io.netty.channel.FixedRecvByteBufAllocator(64 * 1024));
        if (announced == null) {
            channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {OPENING}));
        }
        channel.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf b = (ByteBuf) msg;
        try {
            if (announced != null && b.isReadable()) {
                if (b.readByte() != OPENING) {
                    ctx.close(); // not one of ours: nothing is handed on
                    return;
                }
                Runnable a = announced;
                announced = null;
                a.run();
            }
            int n = b.readableBytes();
            if (n > 0 && !closed) {
                // Gathered, and handed over in large pieces or when the I/O thread goes idle: a
                // wake-up of the reader per piece, not per QUIC read.
                if (gathering == null) {
                    gathering = new byte[Math.max(n, HAND_OVER)];
                } else if (gathered + n > gathering.length) {
                    gathering = java.util.Arrays.copyOf(gathering, Math.max(gathered + n, 2 * gathering.length));
                }
                b.readBytes(gathering, gathered, n);
                gathered += n;
            }
        } finally {
            b.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (gathered >= HAND_OVER) {
            handOver();
        }
        if (buffered.get() + gathered < READ_HIGH) {
            ctx.channel().read();
        } else {
            readPaused = true;
        }
    }

    /** Gives the reader what was gathered (on the I/O thread; also when it goes idle). */
    void handOver() {
        if (gathered == 0) {
            return;
        }
        byte[] bytes = gathered == gathering.length ? gathering : java.util.Arrays.copyOf(gathering, gathered);
        gathering = null;
        gathered = 0;
        buffered.addAndGet(bytes.length);
        inbox.add(bytes);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        handOver();
        if (evt instanceof ChannelInputShutdownEvent || evt instanceof ChannelInputShutdownReadComplete) {
            inputEnded = true; // the peer's FIN: a clean end, whatever happens to the stream later
            inbox.add(EOF);
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        handOver();
        if (!outputShut && failure == null) {
            failure = new IOException("stream to '" + peer + "' closed before it ended");
        }
        inbox.add(EOF);
        writeRoom.release(WRITE_LIMIT); // wake blocked writers: they see the failure
        finished.complete(null);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failure = cause;
        inbox.add(EOF);
        writeRoom.release(WRITE_LIMIT);
        ctx.close();
    }

    /** Failed: the connection under the stream closed (the session ended or the peer reset it). */
    void fail(String why) {
        if (failure == null) {
            failure = new IOException(why);
        }
        inbox.add(EOF);
        writeRoom.release(WRITE_LIMIT);
        finished.complete(null);
    }

    private void consumed(int n) {
        long left = buffered.addAndGet(-n);
        if (readPaused && left < READ_LOW) {
            readPaused = false;
            io.execute(() -> {
                QuicStreamChannel ch = channel;
                if (ch != null) {
                    ch.read();
                }
            });
        }
    }

    private IOException broken() {
        Throwable f = failure;
        String msg = f == null ? "closed" : f.getMessage();
        return new IOException("stream to '" + peer + "' broke: " + msg, f);
    }

    private final class In extends BulkInputStream {
        private byte[] current;
        private int pos;
        private boolean ended;

        @Override
        protected int readSome(byte[] b, int off, int len) throws IOException {
            while (current == null || pos == current.length) {
                if (ended) {
                    return -1;
                }
                byte[] next;
                try {
                    next = inbox.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while reading from '" + peer + "'");
                }
                if (next == EOF) {
                    inbox.add(EOF); // every later read sees it too
                    if (failure != null && !inputEnded) {
                        throw broken();
                    }
                    ended = true;
                    return -1;
                }
                current = next;
                pos = 0;
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            consumed(n);
            return n;
        }

        @Override
        public int available() {
            return current == null ? 0 : current.length - pos;
        }

        @Override
        public void close() {
            QuicStream.this.close();
        }
    }

    /** Like a socket's: every write goes out at once (no buffering across calls), in chunks of {@link #CHUNK}. */
    private final class Out extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            while (len > 0) {
                int n = Math.min(len, CHUNK);
                send(java.util.Arrays.copyOfRange(b, off, off + n));
                off += n;
                len -= n;
            }
        }

        private void send(byte[] bytes) throws IOException {
            if (failure != null) {
                throw broken();
            }
            if (outputShut || closed) {
                throw new IOException("stream to '" + peer + "' is shut for writing");
            }
            int n = bytes.length;
            try {
                while (!writeRoom.tryAcquire(n, 1, TimeUnit.SECONDS)) {
                    if (failure != null) {
                        throw broken();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while writing to '" + peer + "'");
            }
            if (failure != null) {
                throw broken();
            }
            ByteBuf data = Unpooled.wrappedBuffer(bytes);
            io.execute(() -> {
                QuicStreamChannel ch = channel;
                if (ch == null || !ch.isActive()) {
                    data.release();
                    writeRoom.release(n);
                    return;
                }
                ch.writeAndFlush(data).addListener(f -> {
                    writeRoom.release(n);
                    if (!f.isSuccess() && failure == null) {
                        failure = f.cause();
                    }
                });
            });
        }

        @Override
        public void close() throws IOException {
            shutdownOutput();
        }
    }
}
