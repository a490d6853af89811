package io.p2pnat.peer.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.DatagramPacket;
import io.netty.incubator.codec.quic.InsecureQuicTokenHandler;
import io.netty.incubator.codec.quic.QuicChannel;
import io.netty.incubator.codec.quic.QuicClientCodecBuilder;
import io.netty.incubator.codec.quic.QuicConnectionPathStats;
import io.netty.incubator.codec.quic.QuicCongestionControlAlgorithm;
import io.netty.incubator.codec.quic.QuicServerCodecBuilder;
import io.netty.incubator.codec.quic.QuicStreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One QUIC connection (RFC 9000) over one session, in one role: the client side of a connection
 * this peer started, or the server side of one the other peer started. QUIC runs in an embedded
 * channel with fixed addresses: {@link #input} feeds it packets opened from the session, {@link
 * #pump} collects the packets it wants sent and runs its timers. Not thread-safe: the peer's I/O
 * thread owns it.
 */
final class QuicLink {
    /** The addresses QUIC believes in: fixed, so that the session's path changes never reach it. */
    static final InetSocketAddress CLIENT = fixed(1);
    static final InetSocketAddress SERVER = fixed(2);
    static final int MAX_PACKET = io.p2pnat.core.peer.PeerAgent.maxStreamPacket();
    /** Flow-control windows: a 40 ms path at 50 MB/s needs 2 MB in flight; room for more. */
    private static final long STREAM_WINDOW = 16L << 20;
    private static final long CONNECTION_WINDOW = 32L << 20;

    /** Where the link's packets go: the session, sealed. */
    interface Sender {
        void send(long sessionId, byte[] packet, boolean asClient);
    }

    final long sessionId;
    final boolean client;
    private final SessionDatagramChannel channel;
    private final InetSocketAddress remote;
    private QuicChannel quic;
    private Future<QuicChannel> connecting;
    private boolean dirty;
    private boolean failed;

    /**
     * @param onStream called (on the I/O thread) with each stream the other side opens, to set
     *                 up its handler
     * @param onConnected called when the connection is up (the server side: when the client's
     *                 handshake arrived)
     */
    QuicLink(long sessionId, boolean client, ChannelInitializer<QuicStreamChannel> onStream, Consumer<QuicChannel> onConnected) {
        this.sessionId = sessionId;
        this.client = client;
        this.remote = client ? SERVER : CLIENT;
        ChannelHandler codec;
        if (client) {
            codec = configure(new QuicClientCodecBuilder().sslContext(QuicTls.client())).build();
        } else {
            codec = configure(new QuicServerCodecBuilder().sslContext(QuicTls.server()))
                    .tokenHandler(InsecureQuicTokenHandler.INSTANCE) // the session already proved the address
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            quic = (QuicChannel) ctx.channel();
                            onConnected.accept(quic);
                            ctx.fireChannelActive();
                        }
                    })
                    .streamHandler(onStream)
                    .build();
        }
        this.channel = new SessionDatagramChannel(client ? CLIENT : SERVER, codec);
        if (client) {
            connecting = QuicChannel.newBootstrap(channel).streamHandler(onStream).remoteAddress(SERVER).connect();
            connecting.addListener(f -> {
                if (f.isSuccess()) {
                    quic = (QuicChannel) f.getNow();
                    onConnected.accept(quic);
                } else {
                    failed = true;
                }
            });
            dirty = true;
        }
    }

    private static <B extends io.netty.incubator.codec.quic.QuicCodecBuilder<B>> B configure(B b) {
        return b.congestionControlAlgorithm(QuicCongestionControlAlgorithm.BBR)
                .maxIdleTimeout(1, TimeUnit.DAYS) // the session decides when the peer is gone
                .maxSendUdpPayloadSize(MAX_PACKET)
                .maxRecvUdpPayloadSize(MAX_PACKET)
                .discoverPmtu(true)
                .initialMaxData(CONNECTION_WINDOW)
                .initialMaxStreamDataBidirectionalLocal(STREAM_WINDOW)
                .initialMaxStreamDataBidirectionalRemote(STREAM_WINDOW)
                .initialMaxStreamsBidirectional(1024)
                .activeMigration(false);
    }

    /** The connection, once its handshake is done (null before). */
    QuicChannel connection() {
        return quic != null && quic.isActive() ? quic : null;
    }

    /** The client's handshake under way (null on the server side). */
    Future<QuicChannel> connecting() {
        return connecting;
    }

    /** True once the connection ended or never came up: a new one is needed. */
    boolean isDead() {
        return failed || (quic != null && !quic.isActive()) || !channel.isOpen();
    }

    /** A packet from the other side's QUIC endpoint. */
    void input(byte[] packet) {
        channel.writeOneInbound(new DatagramPacket(Unpooled.wrappedBuffer(packet), client ? CLIENT : SERVER, remote));
        dirty = true;
    }

    /** Something was written on one of its streams (on this thread): pump it. */
    void touch() {
        dirty = true;
    }

    /**
     * Lets QUIC process its input, writes and timers; sends its packets.
     *
     * @return the delay until its next timer in nanoseconds, or -1 for none
     */
    long pump(Sender out) {
        long next;
        try {
            if (dirty) {
                dirty = false;
                channel.flushInbound();
            }
            channel.runPendingTasks();
            next = channel.runScheduledPendingTasks();
            channel.flushOutbound(); // the codec batches its writes; a pump ends a batch
            drainInbound();
        } catch (RuntimeException e) {
            // An error inside QUIC ends this connection, never the peer's I/O thread.
            failed = true;
            close();
            next = -1;
        }
        Object m;
        while ((m = channel.readOutbound()) != null) {
            if (m instanceof DatagramPacket p) {
                ByteBuf c = p.content();
                byte[] bytes = new byte[c.readableBytes()];
                c.getBytes(c.readerIndex(), bytes);
                pacer.add(bytes);
            }
            ReferenceCountUtil.release(m);
        }
        long now = System.nanoTime();
        if (!pacer.isEmpty() && quic != null && now - rateAt > RATE_EVERY) {
            rateAt = now;
            quic.collectPathStats(0).addListener(f -> {
                if (f.isSuccess()) {
                    QuicConnectionPathStats st = (QuicConnectionPathStats) f.getNow();
                    pacer.rate(System.nanoTime(), st.cwnd(), st.rtt(), st.deliveryRate());
                }
            });
        }
        byte[] packet;
        while ((packet = pacer.poll(now)) != null) {
            out.send(sessionId, packet, client);
        }
        long paced = pacer.nextTime(now);
        if (paced != Long.MAX_VALUE) {
            long wait = Math.max(1, paced - now);
            next = next < 0 ? wait : Math.min(next, wait);
        }
        return next;
    }

    /** How often the pacer learns the connection's rate. */
    private static final long RATE_EVERY = 10_000_000L;
    private final Pacer pacer = new Pacer();
    private long rateAt;

    boolean dirty() {
        return dirty;
    }

    private void drainInbound() {
        Object m;
        while ((m = channel.readInbound()) != null) {
            ReferenceCountUtil.release(m);
        }
    }

    /** Ends the connection at once (the session is gone): its streams fail. */
    void close() {
        if (quic != null) {
            quic.close();
        }
        channel.finishAndReleaseAll();
    }

    /** One in-memory handshake and a few stream bytes (see {@link SessionStreams#warmUp}). */
    static void warmUp() {
        ChannelInitializer<QuicStreamChannel> none = new ChannelInitializer<>() {
            @Override
            protected void initChannel(QuicStreamChannel ch) {
                ch.pipeline().addLast(new ChannelInboundHandlerAdapter());
            }
        };
        QuicLink server = new QuicLink(0, false, none, q -> { });
        QuicLink client = new QuicLink(0, true, none, q -> { });
        try {
            long end = System.nanoTime() + 3_000_000_000L;
            while (client.connection() == null && System.nanoTime() < end) {
                client.pump((id, p, asClient) -> server.input(p));
                server.pump((id, p, asClient) -> client.input(p));
            }
            QuicChannel q = client.connection();
            if (q != null) {
                q.createStream(io.netty.incubator.codec.quic.QuicStreamType.BIDIRECTIONAL, new ChannelInboundHandlerAdapter())
                        .addListener(f -> {
                            if (f.isSuccess()) {
                                ((QuicStreamChannel) f.getNow()).writeAndFlush(Unpooled.wrappedBuffer(new byte[64 * 1024]));
                            }
                        });
                for (int i = 0; i < 50; i++) {
                    client.pump((id, p, asClient) -> server.input(p));
                    server.pump((id, p, asClient) -> client.input(p));
                }
            }
        } finally {
            client.close();
            server.close();
        }
    }

    private static InetSocketAddress fixed(int last) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) 169, (byte) 254, 0, (byte) last}), 4433);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
