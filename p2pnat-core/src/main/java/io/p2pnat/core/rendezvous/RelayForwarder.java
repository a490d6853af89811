package io.p2pnat.core.rendezvous;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Relaying over UDP (RFC 5128 §3.1): the fallback when hole punching fails, with S forwarding
 * every packet between the two peers of an introduction. Frames go unchanged to the other
 * peer's current public endpoint, so the session follows NAT rebinding with no relay port.
 * Only a peer of the session, from its registered endpoint, can use it; S must not become an
 * open forwarder for anyone who learns an introduction id.
 */
final class RelayForwarder {
    private final RegistrationTable registrations;
    private final RelayTable relays;
    private final RendezvousStats stats;
    private final Outbox outbox;

    RelayForwarder(RegistrationTable registrations, RelayTable relays, RendezvousStats stats, Outbox outbox) {
        this.registrations = registrations;
        this.relays = relays;
        this.stats = stats;
        this.outbox = outbox;
    }

    /** Forwards one relay frame (type byte, 8-byte session id, payload); drops it if it is no one's. */
    void onFrame(long now, InetSocketAddress from, byte[] buf, int off, int len) {
        long id = ByteBuffer.wrap(buf, off + 1, 8).getLong();
        RelayTable.Binding b = relays.get(id);
        if (b == null) {
            stats.dropped++;
            return;
        }
        Registration a = registrations.get(b.dialer);
        Registration t = registrations.get(b.target);
        if (a == null || t == null) {
            stats.dropped++;
            return;
        }
        InetSocketAddress to;
        if (from.equals(a.publicEndpoint)) {
            to = t.publicEndpoint;
        } else if (from.equals(t.publicEndpoint)) {
            to = a.publicEndpoint;
        } else {
            stats.dropped++;
            return;
        }
        b.touch(now);
        byte[] copy = new byte[len];
        System.arraycopy(buf, off, copy, 0, len);
        stats.relayedPackets++;
        stats.relayedBytes += len;
        outbox.send(to, copy);
    }
}
