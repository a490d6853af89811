/**
 * Deterministic network simulator with RFC 4787 NAT models, driving the sans-I/O core. Only the
 * command line drives it ({@code p2pnat sim}, the demo's figures): its types carry core's.
 */
@SuppressWarnings("module") // io.p2pnat.cli is not observable while this module compiles
module io.p2pnat.sim {
    requires io.p2pnat.core;

    exports io.p2pnat.sim to io.p2pnat.cli;
}
