package io.p2pnat.server;

import io.p2pnat.core.rendezvous.RendezvousConfig;
import java.time.Duration;

/**
 * Settings of the rendezvous server from plain values, for
 * {@link RendezvousServer#start(java.net.InetSocketAddress, ServerConfig)}: the defaults (60 s
 * registration lifetime, 1,000,000 registrations, X25519 server key) with what an operator
 * changes. Immutable.
 */
public final class ServerConfig {
    private final RendezvousConfig rendezvous;

    private ServerConfig(RendezvousConfig rendezvous) {
        this.rendezvous = rendezvous;
    }

    /** {@return the defaults: 60 s registration lifetime, 1,000,000 registrations} */
    public static ServerConfig defaults() {
        return new ServerConfig(RendezvousConfig.defaults());
    }

    /**
     * How long a registration lives without a keepalive.
     *
     * @param d the lifetime
     * @return a copy with that lifetime
     * @throws IllegalArgumentException unless 2-3600 s
     */
    public ServerConfig withRegistrationLifetime(Duration d) {
        return new ServerConfig(rendezvous.withRegistrationLifetime(d));
    }

    /** {@return how long a registration lives without a keepalive} */
    public Duration registrationLifetime() {
        return rendezvous.registrationLifetime();
    }

    RendezvousConfig rendezvous() {
        return rendezvous;
    }
}
