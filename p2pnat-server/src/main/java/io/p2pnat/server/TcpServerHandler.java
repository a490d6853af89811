package io.p2pnat.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * One accepted TCP connection while the rendezvous service reads it (STUN over TCP). Removed from
 * the pipeline when the service splices the connection to another, or when the first message
 * shows a TURN client (then a {@link TurnStreamHandler} takes its place).
 */
final class TcpServerHandler extends ChannelInboundHandlerAdapter {
    /** The handler's name in the pipeline. */
    static final String NAME = "p2pnat-stun";

    private final StreamDriver driver;
    /** The TURN server, or null; until the first two bytes are in, whether this is TURN is open. */
    private final TurnDriver turn;
    /** TLS on this port, or null; cleared once the first bytes showed whether this connection is TLS. */
    private ServerTls tls;
    private ByteBuf head;
    private long id;

    TcpServerHandler(StreamDriver driver, TurnDriver turn, ServerTls tls) {
        this.driver = driver;
        this.turn = turn;
        this.tls = tls;
    }

    /** A TLS record of type handshake (22), version 3.x: a ClientHello opens the connection. */
    private static boolean isTls(ByteBuf b) {
        return b.getUnsignedByte(b.readerIndex()) == 22 && b.getUnsignedByte(b.readerIndex() + 1) == 3;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        id = driver.opened(ctx.channel());
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if ((turn != null || tls != null) && msg instanceof ByteBuf buf && (head != null || buf.readableBytes() < 2)) {
            // Too little to tell the protocol yet: keep it until two bytes are in.
            if (head == null) {
                head = ctx.alloc().buffer(16);
            }
            head.writeBytes(buf);
            buf.release();
            if (head.readableBytes() < 2) {
                return;
            }
            msg = head;
            head = null;
        }
        if (tls != null && msg instanceof ByteBuf buf) {
            ServerTls t = tls;
            tls = null; // decided: what comes next (decrypted or not) is the connection's own protocol
            if (isTls(buf)) {
                // Decrypt first: the handshake record goes into the TLS handler, whose plain bytes
                // come back here as the connection's first bytes.
                ctx.pipeline().addFirst("tls", t.context().newHandler(ctx.alloc()));
                ctx.pipeline().fireChannelRead(buf);
                return;
            }
        }
        if (turn != null && msg instanceof ByteBuf buf && isTurn(buf)) {
            toTurn(ctx, buf);
            return;
        }
        try {
            if (msg instanceof ByteBuf buf) {
                driver.read(id, buf);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /**
     * Whether a connection's first bytes are TURN (RFC 8656 §3.1, TURN over TCP): a STUN message
     * of a TURN method (Allocate to ConnectionAttempt, 0x003-0x00C). The rendezvous protocol's
     * own methods and Binding stay here, and so does anything else: ChannelData cannot open a
     * connection (no channel is bound on it yet), and text such as "GET " would read as one.
     */
    static boolean isTurn(ByteBuf b) {
        int b0 = b.getUnsignedByte(b.readerIndex());
        if ((b0 & 0xC0) != 0) {
            return false;
        }
        int t = b0 << 8 | b.getUnsignedByte(b.readerIndex() + 1);
        int method = (t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2);
        return method >= io.p2pnat.wire.StunMethod.ALLOCATE && method <= io.p2pnat.wire.StunMethod.CONNECTION_ATTEMPT;
    }

    /** Hands the connection to the TURN server: the rendezvous service forgets it, first bytes included. */
    private void toTurn(ChannelHandlerContext ctx, ByteBuf first) {
        driver.closed(id);
        // Next to this handler (after TLS, if any), then this one leaves the pipeline.
        ctx.pipeline().addAfter(ctx.name(), "p2pnat-turn", new TurnStreamHandler(turn));
        ctx.fireChannelRead(first);
        ctx.fireChannelReadComplete();
        ctx.pipeline().remove(this);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (head != null) {
            head.release();
            head = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        driver.closed(id);
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            ctx.close(); // a signaling connection has nothing to do half-closed
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // resets and the like: channelInactive tells the service
    }
}
