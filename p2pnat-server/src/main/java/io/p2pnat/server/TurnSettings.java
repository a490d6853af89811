package io.p2pnat.server;

import io.p2pnat.core.turn.TurnConfig;
import io.p2pnat.core.turn.TurnCredentials;
import io.p2pnat.core.turn.TurnRestCredentials;
import io.p2pnat.core.turn.TurnUsers;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Turns on the TURN server (RFC 8656) inside the rendezvous server, on the same UDP port.
 *
 * @param config      the TURN service's settings; {@code config.relayAddress()} is what clients are
 *                    told (XOR-RELAYED-ADDRESS); relay sockets bind to the server's bind address
 * @param credentials where usernames are looked up
 */
public record TurnSettings(TurnConfig config, TurnCredentials credentials) {
    /**
     * Settings from the core service's types (in-project callers and tests; others use
     * {@link #builder}).
     *
     * @param config      the TURN service's settings
     * @param credentials where usernames are looked up
     * @throws NullPointerException if either is null
     */
    public TurnSettings {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(credentials, "credentials");
    }

    /**
     * Settings from plain values: the defaults (relay ports 49152-65535, 10,000 allocations, 100
     * per user, 20 per client IP, 1 h longest lifetime) in {@code realm}, telling clients
     * {@code relayAddress}; then the builder's changes and at least one source of credentials.
     *
     * @param realm        the realm clients authenticate in
     * @param relayAddress the relayed address told to clients (XOR-RELAYED-ADDRESS)
     * @return a builder
     * @throws IllegalArgumentException if the realm or the address is not fit (the message says why)
     */
    public static Builder builder(String realm, InetAddress relayAddress) {
        return new Builder(TurnConfig.defaults(realm, relayAddress));
    }

    /**
     * {@return one line for operators: "realm 'R', relayed address IP, relay ports A-B, at most N
     * allocations (U per user, I per client IP)"}
     */
    public String describe() {
        return "realm '" + config.realm() + "', relayed address " + config.relayAddress().getHostAddress()
                + ", relay ports " + config.minPort() + "-" + config.maxPort() + ", at most " + config.maxAllocations()
                + " allocations (" + config.userQuota() + " per user, " + config.ipQuota() + " per client IP)";
    }

    /**
     * Builds {@link TurnSettings}. Each setter checks its value at once and throws
     * {@link IllegalArgumentException} with a message fit for a user.
     */
    public static final class Builder {
        private TurnConfig config;
        private final List<TurnCredentials> credentials = new ArrayList<>();

        private Builder(TurnConfig config) {
            this.config = config;
        }

        /**
         * Bytes unauthenticated UDP requests count larger when their answers are sized (0-512).
         *
         * @param bytes the slack
         * @return this builder
         */
        public Builder amplificationSlack(int bytes) {
            return with(c -> c.withAmplificationSlack(bytes));
        }

        /**
         * The relay port range, one port per allocation, within 1024-65535.
         *
         * @param min the lowest port
         * @param max the highest port
         * @return this builder
         */
        public Builder relayPorts(int min, int max) {
            return with(c -> c.withPorts(min, max));
        }

        /**
         * Allocations at most: in all, per user and per client IP (486 beyond).
         *
         * @param maxAllocations allocations in all
         * @param perUser        allocations per username
         * @param perClientIp    allocations per client IP address
         * @return this builder
         */
        public Builder quotas(int maxAllocations, int perUser, int perClientIp) {
            return with(c -> c.withQuotas(maxAllocations, perUser, perClientIp));
        }

        /**
         * The longest allocation lifetime granted (600-86400 s).
         *
         * @param d the lifetime
         * @return this builder
         */
        public Builder maxLifetime(Duration d) {
            return with(c -> c.withMaxLifetime(d));
        }

        /**
         * Whether peers on loopback addresses are allowed (for tests and benchmarks only).
         *
         * @param allow whether to allow them (default no)
         * @return this builder
         */
        public Builder loopbackPeers(boolean allow) {
            return with(c -> c.withLoopbackPeers(allow));
        }

        /**
         * Whether RFC 5766's channel numbers 0x5000-0x7FFF are accepted besides RFC 8656's.
         *
         * @param accept whether to accept them
         * @return this builder
         */
        public Builder rfc5766Channels(boolean accept) {
            return with(c -> c.withRfc5766Channels(accept));
        }

        private Builder with(UnaryOperator<TurnConfig> change) {
            config = change.apply(config);
            return this;
        }

        /**
         * Long-term credentials from {@code file}: one "user:password" per line ('#' comments; the
         * user is everything before the first ':').
         *
         * @param file the users file
         * @return this builder
         * @throws java.nio.file.NoSuchFileException if there is no such file
         * @throws IOException if it cannot be read
         * @throws IllegalArgumentException if a line is malformed
         */
        public Builder usersFile(Path file) throws IOException {
            credentials.add(TurnUsers.read(file, config.realm()));
            return this;
        }

        /**
         * A shared secret for time-limited credentials (the TURN REST API convention, as coturn's
         * {@code --use-auth-secret}): see {@link TurnRestCredential}.
         *
         * @param secret the shared secret
         * @return this builder
         */
        public Builder sharedSecret(String secret) {
            credentials.add(new TurnRestCredentials(secret));
            return this;
        }

        /**
         * The settings; usernames are looked up in the sources in the order they were added.
         *
         * @return the settings
         * @throws IllegalStateException without a source of credentials
         */
        public TurnSettings build() {
            if (credentials.isEmpty()) {
                throw new IllegalStateException("TURN needs credentials: a users file or a shared secret");
            }
            return new TurnSettings(config, TurnCredentials.firstOf(credentials));
        }
    }

    /**
     * The address to advertise for relays when none is configured: the bind address itself, or,
     * for a wildcard bind, the first IPv4 address of an interface that is up and not loopback
     * (loopback if there is none).
     *
     * @param bind the server's bind address
     * @return the address to advertise
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
