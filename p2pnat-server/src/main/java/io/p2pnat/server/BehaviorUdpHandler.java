package io.p2pnat.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.p2pnat.core.discovery.BehaviorResponder;
import io.p2pnat.core.discovery.ServerSocketRole;
import io.p2pnat.wire.StunMessage;
import java.util.Map;

/**
 * In front of one of the four RFC 5780 sockets: Binding requests the {@link BehaviorResponder}
 * {@link BehaviorResponder#claims claims} go to it, and its answer leaves from the socket it names
 * or, when its budget refuses the answer, nothing is sent (never an answer from another socket);
 * anything the responder does not claim passes on to the next handler ({@code passOn}) or is
 * dropped. Only datagrams that look like a Binding request (20+ bytes, type 0x0001) are copied out
 * of the buffer, so the rendezvous service's traffic pays a few byte reads.
 */
final class BehaviorUdpHandler extends ChannelInboundHandlerAdapter {
    static final String NAME = "p2pnat-nat-behaviour";

    private final BehaviorResponder responder;
    private final Map<ServerSocketRole, Channel> sockets;
    private final ServerSocketRole role;
    private final boolean passOn;

    BehaviorUdpHandler(BehaviorResponder responder, Map<ServerSocketRole, Channel> sockets, ServerSocketRole role,
                       boolean passOn) {
        this.responder = responder;
        this.sockets = sockets;
        this.role = role;
        this.passOn = passOn;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof DatagramPacket packet && looksLikeBindingRequest(packet.content())) {
            ByteBuf content = packet.content();
            byte[] bytes = new byte[content.readableBytes()];
            content.getBytes(content.readerIndex(), bytes);
            if (responder.claims(role, bytes, 0, bytes.length)) {
                ReferenceCountUtil.release(msg);
                BehaviorResponder.Reply reply = responder.handle(System.nanoTime(), role, packet.sender(), bytes, 0, bytes.length);
                Channel out = reply == null ? null : sockets.get(reply.from());
                if (out != null) {
                    out.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(reply.payload()), reply.to()));
                }
                return;
            }
        }
        if (passOn) {
            ctx.fireChannelRead(msg);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private static boolean looksLikeBindingRequest(ByteBuf b) {
        int i = b.readerIndex();
        // with or without the magic cookie: RFC 3489 requests are answered too
        return b.readableBytes() >= StunMessage.HEADER_LENGTH && b.getUnsignedShort(i) == 0x0001;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (passOn) {
            ctx.fireExceptionCaught(cause);
        }
        // a UDP responder keeps serving (ICMP errors surface here on some platforms)
    }
}
