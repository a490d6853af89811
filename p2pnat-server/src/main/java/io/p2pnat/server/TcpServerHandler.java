package io.p2pnat.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * One accepted TCP connection while the rendezvous service reads it (STUN over TCP). Removed from
 * the pipeline when the service splices the connection to another.
 */
final class TcpServerHandler extends ChannelInboundHandlerAdapter {
    /** The handler's name in the pipeline. */
    static final String NAME = "p2pnat-stun";

    private final StreamDriver driver;
    private long id;

    TcpServerHandler(StreamDriver driver) {
        this.driver = driver;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        id = driver.opened(ctx.channel());
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof ByteBuf buf) {
                driver.read(id, buf);
            }
        } finally {
            ReferenceCountUtil.release(msg);
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
