package io.p2pnat.core.rendezvous;

import io.p2pnat.core.secure.DhFunction;
import java.time.Duration;

/**
 * Settings of the rendezvous service.
 *
 * @param registrationLifetime how long a registration lives without a keepalive
 * @param maxRegistrations     registrations held at most; more are refused with 508
 * @param maxPendingIntroductions introductions awaiting the target's acknowledgement at most
 * @param software             SOFTWARE attribute value, or null for none
 * @param maxRelaySessions     native relay sessions held at most
 * @param relayIdleTimeout     a relay session unused this long is dropped
 * @param dh                   the DH function of the server's identity key, which peers' key
 *                             proofs use (RFC 5128 §6.3): X25519 (null means it); only a
 *                             simulation sets a cheap stand-in, on its peers too
 */
public record RendezvousConfig(Duration registrationLifetime, int maxRegistrations,
                               int maxPendingIntroductions, String software,
                               int maxRelaySessions, Duration relayIdleTimeout, DhFunction dh) {
    public RendezvousConfig {
        dh = dh == null ? DhFunction.X25519 : dh;
        if (maxRelaySessions < 0 || relayIdleTimeout.isNegative() || relayIdleTimeout.isZero()) {
            throw new IllegalArgumentException("relay limits must be positive");
        }
        if (registrationLifetime.toSeconds() < 2 || registrationLifetime.toSeconds() > 3600) {
            throw new IllegalArgumentException("registration lifetime must be 2-3600 s");
        }
        if (maxRegistrations < 1 || maxPendingIntroductions < 1) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }

    /** With an X25519 server key. */
    public RendezvousConfig(Duration registrationLifetime, int maxRegistrations, int maxPendingIntroductions,
                            String software, int maxRelaySessions, Duration relayIdleTimeout) {
        this(registrationLifetime, maxRegistrations, maxPendingIntroductions, software, maxRelaySessions,
                relayIdleTimeout, DhFunction.X25519);
    }

    /** 60 s lifetime (peers refresh every 15 s), 1,000,000 registrations, X25519. */
    public static RendezvousConfig defaults() {
        return new RendezvousConfig(Duration.ofSeconds(60), 1_000_000, 100_000, "p2pnat", 1_000_000, Duration.ofSeconds(120));
    }

    public RendezvousConfig withRegistrationLifetime(Duration d) {
        return new RendezvousConfig(d, maxRegistrations, maxPendingIntroductions, software, maxRelaySessions,
                relayIdleTimeout, dh);
    }

    public RendezvousConfig withMaxRegistrations(int n) {
        return new RendezvousConfig(registrationLifetime, n, maxPendingIntroductions, software, maxRelaySessions,
                relayIdleTimeout, dh);
    }

    /**
     * With the server's identity key on {@code dh}. Peers must hold identities on the same
     * function, or their key proofs fail.
     */
    public RendezvousConfig withDh(DhFunction dh) {
        return new RendezvousConfig(registrationLifetime, maxRegistrations, maxPendingIntroductions, software,
                maxRelaySessions, relayIdleTimeout, dh);
    }
}
