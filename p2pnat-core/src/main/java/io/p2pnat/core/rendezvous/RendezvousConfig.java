package io.p2pnat.core.rendezvous;

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
 */
public record RendezvousConfig(Duration registrationLifetime, int maxRegistrations,
                               int maxPendingIntroductions, String software,
                               int maxRelaySessions, Duration relayIdleTimeout) {
    public RendezvousConfig {
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

    /** 60 s lifetime (peers refresh every 15 s), 1,000,000 registrations. */
    public static RendezvousConfig defaults() {
        return new RendezvousConfig(Duration.ofSeconds(60), 1_000_000, 100_000, "p2pnat", 1_000_000, Duration.ofSeconds(120));
    }

    public RendezvousConfig withRegistrationLifetime(Duration d) {
        return new RendezvousConfig(d, maxRegistrations, maxPendingIntroductions, software, maxRelaySessions, relayIdleTimeout);
    }

    public RendezvousConfig withMaxRegistrations(int n) {
        return new RendezvousConfig(registrationLifetime, n, maxPendingIntroductions, software, maxRelaySessions, relayIdleTimeout);
    }
}
