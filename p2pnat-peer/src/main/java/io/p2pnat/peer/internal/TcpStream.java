package io.p2pnat.peer.internal;

import io.p2pnat.core.stream.StreamFramer;
import io.p2pnat.core.tcp.StreamSetup;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;

/** One TCP connection being punched, authenticated or attached to the relay. */
final class TcpStream {
    enum Kind { ATTEMPT, ACCEPTED, RELAY }

    final long id;
    final Kind kind;
    final SocketChannel channel;
    final InetSocketAddress remote;
    final StreamFramer decoder = new StreamFramer(StreamFramer.Mode.STUN);
    final ArrayDeque<ByteBuffer> writes = new ArrayDeque<>();
    /** The introduction this stream belongs to, once known. */
    TcpDriver.Punch punch;
    /** The stream's protocol before the hand-over; null until its kind and introduction are set. */
    StreamSetup setup;
    long attemptId = -1;
    long deadline;
    boolean connected;
    boolean handedOver;

    TcpStream(long id, Kind kind, SocketChannel channel, InetSocketAddress remote) {
        this.id = id;
        this.kind = kind;
        this.channel = channel;
        this.remote = remote;
    }
}
