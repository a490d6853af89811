/**
 * The sans-I/O protocol logic (rendezvous service, peer agent, hole punching, TURN, Noise
 * channels). Nothing here is public API: each package is exported only to the modules of this
 * project that drive it. The library's API is {@code io.p2pnat.peer}; the server's is
 * {@code io.p2pnat.server}.
 */
// "module": the qualified exports name modules that are not observable while this one compiles.
// "requires-automatic": noise-java is an automatic module (below).
@SuppressWarnings({"module", "requires-automatic"})
module io.p2pnat.core {
    // Core's types carry STUN messages, transaction ids and attribute types.
    requires transitive io.p2pnat.wire;
    // org.signal.forks:noise-java has no module descriptor nor Automatic-Module-Name: this is
    // the automatic module named after its file, noise-java-0.1.1.jar.
    requires noise.java;

    exports io.p2pnat.core to io.p2pnat.server, io.p2pnat.peer, io.p2pnat.sim;
    exports io.p2pnat.core.discovery to io.p2pnat.server, io.p2pnat.peer, io.p2pnat.sim;
    exports io.p2pnat.core.peer to io.p2pnat.peer, io.p2pnat.sim;
    exports io.p2pnat.core.rendezvous to io.p2pnat.server, io.p2pnat.sim;
    exports io.p2pnat.core.secure to io.p2pnat.server, io.p2pnat.peer, io.p2pnat.sim;
    exports io.p2pnat.core.stream to io.p2pnat.server;
    exports io.p2pnat.core.tcp to io.p2pnat.peer, io.p2pnat.sim;
    exports io.p2pnat.core.turn to io.p2pnat.server;
}
