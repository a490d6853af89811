package io.p2pnat.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.p2pnat.core.stream.StreamFramer;
import java.net.InetSocketAddress;

/**
 * A client's TCP connection to the TURN server (RFC 8656 §3.1). The stream has no framing of its
 * own (§12.5): a {@link StreamFramer} in {@link StreamFramer.Mode#TURN} mode splits it into STUN
 * and ChannelData messages. Whole messages go to the {@link TurnDriver}; anything that is neither
 * (the first two bits say which) cannot be resynchronised, so the connection is closed. Its end
 * ends the client's allocation; a connection without an allocation for
 * {@link TurnDriver#streamIdleMillis} is closed, and so is one from an address that already holds
 * {@link TurnDriver#streamsPerIp()} connections.
 */
final class TurnStreamHandler extends ChannelInboundHandlerAdapter {
    private final TurnDriver turn;
    private InetSocketAddress remote;
    /** Refused: too many connections from this address; whatever it sends is dropped. */
    private boolean refused;
    private final StreamFramer framer = new StreamFramer(StreamFramer.Mode.TURN);
    private io.netty.util.concurrent.ScheduledFuture<?> idleCheck;

    TurnStreamHandler(TurnDriver turn) {
        this.turn = turn;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        remote = (InetSocketAddress) ctx.channel().remoteAddress();
        if (!turn.streamOpened(remote, ctx.channel())) {
            refused = true;
            ctx.close();
            return;
        }
        scheduleIdleCheck(ctx);
    }

    /** Closes the connection if it holds no allocation at the next check (see {@link TurnDriver#streamIdleMillis}). */
    private void scheduleIdleCheck(ChannelHandlerContext ctx) {
        idleCheck = ctx.executor().schedule(() -> {
            if (!ctx.channel().isActive()) {
                return;
            }
            if (turn.streamHasAllocation(remote)) {
                scheduleIdleCheck(ctx);
            } else {
                ctx.close();
            }
        }, TurnDriver.streamIdleMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (!(msg instanceof ByteBuf buf) || refused) {
                return;
            }
            byte[] bytes = ByteBufUtil.getBytes(buf);
            framer.feed(bytes, 0, bytes.length);
            for (byte[] message; (message = framer.next()) != null; ) {
                turn.fromStreamClient(remote, message, message.length);
            }
        } catch (StreamFramer.StreamFormatException e) {
            ctx.close();
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        turn.flush();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        turn.streamClosed(remote, ctx.channel());
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    private void release() {
        if (idleCheck != null) {
            idleCheck.cancel(false);
            idleCheck = null;
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            ctx.close(); // the client is done sending: nothing more can come for its allocation
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
