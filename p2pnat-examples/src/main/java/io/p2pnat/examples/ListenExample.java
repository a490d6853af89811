package io.p2pnat.examples;

import io.p2pnat.peer.Connection;
import io.p2pnat.peer.Peer;
import java.time.Duration;

/**
 * Register and echo every message of every connection.
 * Usage: {@code ListenExample SERVER[:PORT] MY-ID}
 */
public final class ListenExample {
    private ListenExample() {
    }

    public static void main(String[] args) throws Exception {
        try (Peer me = Peer.builder().server(args[0]).id(args[1]).start()) {
            System.out.println("registered; public endpoint " + me.publicEndpoint());
            while (true) {
                Connection c = me.accept(Duration.ofMinutes(10));
                if (c == null) {
                    continue;
                }
                System.out.println("connection from " + c.peerId() + " via " + c.info().via().wireName());
                new Thread(() -> echo(c)).start();
            }
        }
    }

    static void echo(Connection c) {
        try {
            while (!c.isClosed()) {
                byte[] m = c.receive(Duration.ofSeconds(30));
                if (m != null) {
                    c.send(m);
                }
            }
        } catch (Exception e) {
            // the connection ended
        }
    }
}
