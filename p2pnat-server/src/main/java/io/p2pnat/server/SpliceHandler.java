package io.p2pnat.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;

/**
 * Copies bytes read on one TCP connection to its partner: the stream relay of RFC 5128 §3.1 once
 * the rendezvous service has paired two RELAY-ATTACHes. One handler per direction.
 *
 * <ul>
 *   <li>Backpressure: reading stops while the partner is not writable (its outbound buffer is
 *       above the high water mark) and resumes when it drains.</li>
 *   <li>Half-close: an end of input (FIN, seen as {@link ChannelInputShutdownEvent} with
 *       ALLOW_HALF_CLOSURE) becomes a shutdownOutput on the partner after the bytes before it are
 *       written; the other direction keeps flowing. A connection closed both ways is closed.</li>
 *   <li>Failure: when one connection closes or fails, the partner is closed after its pending
 *       writes.</li>
 * </ul>
 */
final class SpliceHandler extends ChannelInboundHandlerAdapter {
    private final Channel partner;

    private SpliceHandler(Channel partner) {
        this.partner = partner;
    }

    /** Replaces the handler named {@code replaced} on both channels with a splice. */
    static void splice(Channel a, Channel b, String replaced) {
        a.pipeline().replace(replaced, "p2pnat-splice", new SpliceHandler(b));
        b.pipeline().replace(replaced, "p2pnat-splice", new SpliceHandler(a));
        if (!a.isActive() || !b.isActive()) {
            StreamDriver.closeAfterWrites(a);
            StreamDriver.closeAfterWrites(b);
            return;
        }
        a.config().setAutoRead(true);
        b.config().setAutoRead(true);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        partner.write(msg).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        if (!partner.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        partner.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            partner.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            partner.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
                if (f.isSuccess() && partner.isActive()) {
                    ((DuplexChannel) partner).shutdownOutput().addListener(g -> closeIfDone(partner));
                } else {
                    partner.close();
                }
            });
            closeIfDone(ctx.channel());
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        StreamDriver.closeAfterWrites(partner);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // channelInactive closes the partner
    }

    private static void closeIfDone(Channel ch) {
        DuplexChannel d = (DuplexChannel) ch;
        if (d.isInputShutdown() && d.isOutputShutdown()) {
            ch.close();
        }
    }
}
