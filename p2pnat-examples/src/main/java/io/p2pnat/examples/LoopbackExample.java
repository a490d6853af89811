package io.p2pnat.examples;

import io.p2pnat.peer.Connection;
import io.p2pnat.peer.Peer;
import io.p2pnat.server.RendezvousServer;
import io.p2pnat.server.ServerConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Server and two peers in one process on loopback: the smallest complete program. */
public final class LoopbackExample {
    private LoopbackExample() {
    }

    /** Runs the exchange and returns what came back. */
    public static String run() throws Exception {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (RendezvousServer server = RendezvousServer.start(any, ServerConfig.defaults());
             Peer bob = Peer.builder().server(server.localAddress()).id("bob").start();
             Peer alice = Peer.builder().server(server.localAddress()).id("alice").start()) {
            Connection toBob = alice.dial("bob", Duration.ofSeconds(5));
            Connection fromAlice = bob.accept(Duration.ofSeconds(5));
            toBob.send("ping".getBytes(StandardCharsets.UTF_8));
            byte[] got = fromAlice.receive(Duration.ofSeconds(2));
            fromAlice.send(got);
            return new String(toBob.receive(Duration.ofSeconds(2)), StandardCharsets.UTF_8);
        }
    }

    public static void main(String[] args) throws Exception {
        System.out.println("alice got back: " + run());
    }
}
