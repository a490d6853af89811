package io.p2pnat.peer.internal;

import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;

/** The socket of one stream of the {@link TcpDriver}'s engine (named by the engine's stream id). */
final class TcpStream {
    final long id;
    final SocketChannel channel;
    /** The control connection to the server: written blocking, closed without a reset. */
    final boolean control;
    final ArrayDeque<ByteBuffer> writes = new ArrayDeque<>();
    boolean connected;

    TcpStream(long id, SocketChannel channel, boolean control) {
        this.id = id;
        this.channel = channel;
        this.control = control;
    }
}
