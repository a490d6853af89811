package io.p2pnat.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.p2pnat.core.Clock;
import io.p2pnat.core.rendezvous.RendezvousService;
import io.p2pnat.core.rendezvous.StreamCommand;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * Drives the TCP side of the sans-I/O {@link RendezvousService}: names accepted connections,
 * feeds their bytes to the service and carries out its {@link StreamCommand}s. Lives on the one
 * event loop thread that also runs the UDP {@link ServerHandler}, so the service needs no locks;
 * after each input the UDP handler sends what the service emitted and re-arms its timer (which in
 * turn drains the stream commands through {@link #drainCommands}).
 */
final class StreamDriver {
    private final RendezvousService service;
    private final Clock clock;
    private final ServerHandler udp;
    private final Map<Long, Channel> channels = new HashMap<>();
    private long lastId;
    private byte[] scratch = new byte[16 * 1024];

    StreamDriver(RendezvousService service, Clock clock, ServerHandler udp) {
        this.service = service;
        this.clock = clock;
        this.udp = udp;
    }

    /** A connection was accepted: returns its id. */
    long opened(Channel ch) {
        long id = ++lastId;
        channels.put(id, ch);
        service.handleStreamOpened(clock.nanoTime(), id, (InetSocketAddress) ch.remoteAddress());
        udp.afterStreamInput();
        return id;
    }

    void read(long id, ByteBuf buf) {
        int len = buf.readableBytes();
        if (len > scratch.length) {
            scratch = new byte[len];
        }
        buf.getBytes(buf.readerIndex(), scratch, 0, len);
        service.handleStreamData(clock.nanoTime(), id, scratch, 0, len);
        udp.afterStreamInput();
    }

    /** The connection closed before the service let it go. */
    void closed(long id) {
        if (channels.remove(id) != null) {
            service.handleStreamClosed(clock.nanoTime(), id);
            udp.afterStreamInput();
        }
    }

    /** Carries out every pending stream command. */
    void drainCommands() {
        for (StreamCommand c = service.pollStreamCommand(); c != null; c = service.pollStreamCommand()) {
            if (c instanceof StreamCommand.Write w) {
                Channel ch = channels.get(w.connId());
                if (ch != null) {
                    ch.writeAndFlush(Unpooled.wrappedBuffer(w.bytes())).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
                }
            } else if (c instanceof StreamCommand.Close close) {
                Channel ch = channels.remove(close.connId());
                if (ch != null) {
                    closeAfterWrites(ch);
                }
            } else if (c instanceof StreamCommand.Splice s) {
                Channel a = channels.remove(s.connIdA());
                Channel b = channels.remove(s.connIdB());
                if (a != null && b != null) {
                    SpliceHandler.splice(a, b, TcpServerHandler.NAME);
                } else {
                    // One side went away in the meantime: the other has no use.
                    if (a != null) {
                        closeAfterWrites(a);
                    }
                    if (b != null) {
                        closeAfterWrites(b);
                    }
                }
            }
        }
    }

    /** Closes once the writes queued before are flushed (writes complete in order). */
    static void closeAfterWrites(Channel ch) {
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
}
