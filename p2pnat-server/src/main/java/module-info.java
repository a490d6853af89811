/**
 * The rendezvous and TURN server: Netty drivers around the sans-I/O services of
 * {@code io.p2pnat.core}. The API is {@code io.p2pnat.server}.
 */
// "module": io.p2pnat.cli is not observable while this module compiles. "requires-automatic":
// Netty 4.1 ships automatic modules only (Automatic-Module-Name in its manifests).
@SuppressWarnings({"module", "requires-automatic"})
module io.p2pnat.server {
    requires io.p2pnat.core;
    requires io.netty.buffer;
    requires io.netty.common;
    requires io.netty.handler;
    requires io.netty.transport;
    requires io.netty.transport.classes.epoll;

    exports io.p2pnat.server;
    // coturn's programs on loopback, for `p2pnat bench turn` (and the interoperability tests).
    exports io.p2pnat.server.interop to io.p2pnat.cli;
}
