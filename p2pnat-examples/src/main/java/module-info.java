/** Examples of the library API ({@code io.p2pnat.peer}) with a server on loopback. */
module io.p2pnat.examples {
    requires io.p2pnat.peer;
    requires io.p2pnat.server;
}
