package io.p2pnat.examples;

import io.p2pnat.peer.Connection;
import io.p2pnat.peer.Peer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Dial a peer and say hello: the whole client side in about ten lines.
 * Usage: {@code DialExample SERVER[:PORT] MY-ID PEER-ID}
 */
public final class DialExample {
    private DialExample() {
    }

    public static void main(String[] args) throws Exception {
        try (Peer me = Peer.builder().server(args[0]).id(args[1]).start()) {
            Connection c = me.dial(args[2], Duration.ofSeconds(10));
            c.send("hello".getBytes(StandardCharsets.UTF_8));
            byte[] answer = c.receive(Duration.ofSeconds(2));
            System.out.println("connected by " + c.info().technique().wireName() + " via " + c.info().via().wireName()
                    + "; got back: " + (answer == null ? "nothing" : new String(answer, StandardCharsets.UTF_8)));
        }
    }
}
