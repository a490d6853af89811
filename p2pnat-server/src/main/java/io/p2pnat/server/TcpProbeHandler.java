package io.p2pnat.server;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.p2pnat.core.discovery.BehaviorResponder;
import io.p2pnat.core.discovery.ServerSocketRole;
import io.p2pnat.core.discovery.TcpProbeOutcome;
import io.p2pnat.wire.StunMessage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One TCP connection to the behaviour-discovery listener (primary address, alternate port): reads
 * one STUN Binding request (RFC 8489 §6.2.2 framing: the header's length field), answers it and
 * closes. With TCP-PROBE ({@link io.p2pnat.core.discovery.DiscoveryWire#TCP_PROBE}) the answer waits
 * for a probe: a TCP connection attempt from the alternate IP address (an ephemeral port) to the
 * endpoint this connection came from — the client's TCP mapping — whose fate the NAT decides:
 * let in (the client accepts it), refused with a RST, dropped (no answer within the timeout), or an
 * ICMP error. The probe targets only the requester's own observed endpoint, one per connection,
 * with a cap on probes in flight, so the listener cannot be used to aim SYNs elsewhere.
 */
final class TcpProbeHandler extends ChannelInboundHandlerAdapter {
    /** Probes in flight, server-wide. */
    static final int MAX_PROBES = 64;
    private static final int MAX_REQUEST = 1024;
    private static final long IDLE_SECONDS = 5;
    private static final AtomicInteger PROBES = new AtomicInteger();

    private final BehaviorResponder responder;
    private final InetAddress probeFrom;
    private final int probeTimeoutMs;
    private ByteBuf buffer;
    private ScheduledFuture<?> idle;
    private boolean answered;

    private TcpProbeHandler(BehaviorResponder responder, InetAddress probeFrom, int probeTimeoutMs) {
        this.responder = responder;
        this.probeFrom = probeFrom;
        this.probeTimeoutMs = probeTimeoutMs;
    }

    /** Listens on {@code at} and serves each connection with a new handler. */
    static Channel listen(EventLoopGroup group, InetSocketAddress at, BehaviorResponder responder, InetAddress probeFrom,
                          int probeTimeoutMs) throws IOException {
        try {
            return new ServerBootstrap().group(group).channel(Transport.serverSocketClass())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new TcpProbeHandler(responder, probeFrom, probeTimeoutMs));
                        }
                    })
                    .bind(at).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding TCP " + at, e);
        } catch (Exception e) {
            throw new IOException("cannot listen on TCP " + at.getAddress().getHostAddress() + ":" + at.getPort()
                    + " for NAT behaviour discovery: " + e.getMessage(), e);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        buffer = ctx.alloc().buffer(256);
        idle = ctx.executor().schedule(() -> {
            if (!answered) {
                ctx.close();
            }
        }, IDLE_SECONDS, TimeUnit.SECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (answered || !(msg instanceof ByteBuf in)) {
                return;
            }
            buffer.writeBytes(in);
            if (buffer.readableBytes() > MAX_REQUEST) {
                ctx.close();
                return;
            }
            if (buffer.readableBytes() < StunMessage.HEADER_LENGTH) {
                return;
            }
            int total = StunMessage.HEADER_LENGTH + buffer.getUnsignedShort(buffer.readerIndex() + 2);
            if (total > MAX_REQUEST) {
                ctx.close();
                return;
            }
            if (buffer.readableBytes() < total) {
                return;
            }
            byte[] bytes = new byte[total];
            buffer.readBytes(bytes);
            StunMessage request = BehaviorResponder.bindingRequest(bytes, 0, total);
            if (request == null) {
                ctx.close();
                return;
            }
            answered = true;
            InetSocketAddress client = (InetSocketAddress) ctx.channel().remoteAddress();
            if (!BehaviorResponder.wantsTcpProbe(request) || PROBES.get() >= MAX_PROBES) {
                answer(ctx, responder.tcpAnswer(ServerSocketRole.CHANGED_PORT, client, request, null, null));
                return;
            }
            PROBES.incrementAndGet();
            probe(ctx, client, request);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void probe(ChannelHandlerContext ctx, InetSocketAddress client, io.p2pnat.wire.StunMessage request) {
        Bootstrap b = new Bootstrap().group(ctx.channel().eventLoop())
                .channel(Transport.EPOLL ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, probeTimeoutMs)
                .handler(new ChannelInboundHandlerAdapter());
        b.connect(client, new InetSocketAddress(probeFrom, 0)).addListener((ChannelFutureListener) f -> {
            PROBES.decrementAndGet();
            TcpProbeOutcome outcome = outcome(f.cause());
            InetSocketAddress source = (InetSocketAddress) f.channel().localAddress();
            f.channel().close();
            if (ctx.channel().isActive()) {
                answer(ctx, responder.tcpAnswer(ServerSocketRole.CHANGED_PORT, client, request, outcome,
                        source == null || source.getPort() == 0 ? null : source));
            }
        });
    }

    /** RST: "Connection refused"; no answer: Netty's connect timeout; anything else came as ICMP. */
    static TcpProbeOutcome outcome(Throwable cause) {
        if (cause == null) {
            return TcpProbeOutcome.CONNECTED;
        }
        if (cause instanceof ConnectTimeoutException) {
            return TcpProbeOutcome.TIMEOUT;
        }
        String text = String.valueOf(cause.getMessage());
        if (text.contains("refused")) {
            return TcpProbeOutcome.RESET;
        }
        if (text.contains("timed out")) {
            return TcpProbeOutcome.TIMEOUT;
        }
        return TcpProbeOutcome.UNREACHABLE;
    }

    private void answer(ChannelHandlerContext ctx, byte[] response) {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(response)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private void release() {
        if (idle != null) {
            idle.cancel(false);
        }
        if (buffer != null) {
            buffer.release();
            buffer = null;
        }
    }
}
