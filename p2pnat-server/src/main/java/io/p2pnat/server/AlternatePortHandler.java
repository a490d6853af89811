package io.p2pnat.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.p2pnat.core.SourceBudget;
import io.p2pnat.core.rendezvous.BindingResponder;

/** The alternate port: answers STUN Binding requests statelessly, drops everything else. */
final class AlternatePortHandler extends SimpleChannelInboundHandler<DatagramPacket> {
    /** Per-source metering of answers (RFC 5128 §6.2). */
    private final SourceBudget budget;

    /** @param budget the server's budget for answers to unauthenticated sources, shared with its other UDP services */
    AlternatePortHandler(SourceBudget budget) {
        this.budget = budget;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
        ByteBuf content = packet.content();
        byte[] bytes = new byte[content.readableBytes()];
        content.getBytes(content.readerIndex(), bytes);
        byte[] answer = BindingResponder.answer(System.nanoTime(), budget, packet.sender(), bytes, 0, bytes.length);
        if (answer != null) {
            ctx.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(answer), packet.sender()));
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // keep serving
    }
}
