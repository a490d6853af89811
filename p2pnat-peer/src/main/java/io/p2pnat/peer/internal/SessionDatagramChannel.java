package io.p2pnat.peer.internal;

import io.netty.channel.ChannelHandler;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The "socket" a QUIC endpoint runs on: no socket at all, but an embedded channel whose datagrams
 * the stream layer carries in and out by hand over the session (sans-I/O: the QUIC codec sees
 * fixed addresses, so the session's path changes never reach it).
 */
final class SessionDatagramChannel extends EmbeddedChannel {
    private final InetSocketAddress local;

    SessionDatagramChannel(InetSocketAddress local, ChannelHandler codec) {
        super(DefaultChannelId.newInstance(), false, false);
        this.local = local;
        pipeline().addLast(codec);
        try {
            register();
        } catch (Exception e) {
            throw new IllegalStateException("cannot register the QUIC endpoint", e);
        }
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return null;
    }
}
