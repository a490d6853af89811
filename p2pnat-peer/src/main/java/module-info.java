/**
 * The peer library: register with a rendezvous server, dial and accept peers across NATs. The API
 * is {@code io.p2pnat.peer}; {@code io.p2pnat.peer.internal} is not exported.
 */
module io.p2pnat.peer {
    requires io.p2pnat.core;
    requires io.netty.buffer;
    requires io.netty.common;
    requires io.netty.transport;
    requires io.netty.handler;
    requires io.netty.incubator.codec.classes.quic;

    exports io.p2pnat.peer;
}
