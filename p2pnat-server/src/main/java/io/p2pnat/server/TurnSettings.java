package io.p2pnat.server;

import io.p2pnat.core.turn.TurnConfig;
import io.p2pnat.core.turn.TurnCredentials;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.Objects;

/**
 * Turns on the TURN server (RFC 8656) inside the rendezvous server, on the same UDP port.
 *
 * @param config      the TURN service's settings; {@code config.relayAddress()} is what clients are
 *                    told (XOR-RELAYED-ADDRESS); relay sockets bind to the server's bind address
 * @param credentials where usernames are looked up
 */
public record TurnSettings(TurnConfig config, TurnCredentials credentials) {
    public TurnSettings {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(credentials, "credentials");
    }

    /**
     * The address to advertise for relays when none is configured: the bind address itself, or,
     * for a wildcard bind, the first IPv4 address of an interface that is up and not loopback
     * (loopback if there is none).
     */
    public static InetAddress defaultRelayAddress(InetAddress bind) {
        if (!bind.isAnyLocalAddress()) {
            return bind;
        }
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp() || nif.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLinkLocalAddress()) {
                        return a;
                    }
                }
            }
        } catch (SocketException e) {
            // fall through to loopback
        }
        return InetAddress.getLoopbackAddress();
    }
}
