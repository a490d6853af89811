/**
 * The real Linux NAT lab: network namespaces and nftables. Only the command line drives it
 * ({@code p2pnat lab}, {@code p2pnat demo}).
 */
@SuppressWarnings("module") // io.p2pnat.cli is not observable while this module compiles
module io.p2pnat.lab {
    exports io.p2pnat.lab to io.p2pnat.cli;
}
