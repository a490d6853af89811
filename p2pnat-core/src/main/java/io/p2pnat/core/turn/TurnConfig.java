package io.p2pnat.core.turn;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the TURN service (RFC 8656). Immutable and validated at construction.
 *
 * <p>RFC 8656 §7.2: "the server SHOULD only allocate ports from the range 49152 - 65535" and
 * "SHOULD NOT allocate ports in the range 0 - 1023"; "It is RECOMMENDED that the server use a
 * maximum allowed lifetime value of no more than 3600 seconds". The default allocation lifetime
 * (600 s, §6), the permission lifetime (300 s, §9: "MUST be 300 seconds") and the channel
 * lifetime (600 s, §12) are fixed by the RFC and live in {@link TurnLimits}.
 *
 * @param realm              REALM (RFC 8489 §14.9) of the long-term credentials; short realms keep
 *                           the 401 challenge small (see {@link TurnService} on amplification)
 * @param relayAddress       the address put in XOR-RELAYED-ADDRESS (the server's bind IP or its
 *                           external IP); its family is the only one relayed (§7.2 step 7)
 * @param minPort            first relay port
 * @param maxPort            last relay port (inclusive)
 * @param maxLifetime        longest allocation lifetime granted (at least the 600 s default)
 * @param maxAllocations     allocations held at most; more are refused with 508
 * @param userQuota          allocations per user at most (486, §7.2 step 10)
 * @param ipQuota            allocations per client IP address at most (486)
 * @param maxPermissions     permissions per allocation at most (508, §10.2)
 * @param maxChannels        channel bindings per allocation at most (508, §12.2)
 * @param allowLoopbackPeers whether peers may be loopback addresses (403 otherwise, §10.2)
 * @param software           SOFTWARE value for Allocate and Refresh responses (§5), or null
 * @param rfc5766Channels    also accept channel numbers 0x5000-0x7FFF, the range of RFC 5766 that
 *                           RFC 8656 §12 narrowed to 0x4000-0x4FFF ("not backwards compatible with
 *                           [RFC5766]"); coturn's turnutils_uclient still draws from it. On by default.
 * @param amplificationSlack bytes added to an unauthenticated UDP request's size before the size
 *                           rule of {@link io.p2pnat.core.SourceBudget} is applied to its answer (0,
 *                           the default, is enough for every standard client; see {@link TurnReplies})
 */
public record TurnConfig(String realm, InetAddress relayAddress, int minPort, int maxPort,
                         Duration maxLifetime, int maxAllocations, int userQuota, int ipQuota,
                         int maxPermissions, int maxChannels, boolean allowLoopbackPeers,
                         String software, boolean rfc5766Channels, int amplificationSlack) {
    public TurnConfig {
        Objects.requireNonNull(realm, "realm");
        Objects.requireNonNull(relayAddress, "relayAddress");
        Objects.requireNonNull(maxLifetime, "maxLifetime");
        if (realm.isEmpty() || realm.length() > 127 || !realm.chars().allMatch(c -> c > 0x20 && c < 0x7F && c != '"' && c != '\\')) {
            throw new IllegalArgumentException("realm must be 1-127 printable ASCII characters without quotes or backslashes: '" + realm + "'");
        }
        if (relayAddress.isAnyLocalAddress() || relayAddress.isMulticastAddress()) {
            throw new IllegalArgumentException("relay address must be a unicast address, not " + relayAddress.getHostAddress());
        }
        if (minPort < 1024 || maxPort > 65535 || minPort > maxPort) {
            throw new IllegalArgumentException("relay ports must be a range within 1024-65535, got " + minPort + "-" + maxPort);
        }
        if (maxLifetime.compareTo(TurnLimits.DEFAULT_LIFETIME) < 0 || maxLifetime.toSeconds() > 86_400) {
            throw new IllegalArgumentException("max lifetime must be 600-86400 s, got " + maxLifetime.toSeconds());
        }
        if (maxAllocations < 1 || userQuota < 1 || ipQuota < 1 || maxPermissions < 1 || maxChannels < 1) {
            throw new IllegalArgumentException("TURN limits and quotas must be positive");
        }
        if (maxChannels > TurnLimits.CHANNEL_MAX - TurnLimits.CHANNEL_MIN + 1) {
            throw new IllegalArgumentException("at most 4096 channels per allocation (0x4000-0x4FFF)");
        }
        if (amplificationSlack < 0 || amplificationSlack > 512) {
            throw new IllegalArgumentException("amplification slack must be 0-512 bytes, got " + amplificationSlack);
        }
    }

    /**
     * Relay ports 49152-65535, 3600 s max lifetime, 10,000 allocations, 100 per user, 20 per client
     * IP, 128 permissions and 128 channels per allocation, loopback peers refused, RFC 5766 channel
     * numbers accepted, no amplification slack.
     */
    public static TurnConfig defaults(String realm, InetAddress relayAddress) {
        return new TurnConfig(realm, relayAddress, 49152, 65535, Duration.ofHours(1), 10_000, 100, 20,
                128, 128, false, "p2pnat", true, 0);
    }

    /** The highest channel number accepted. */
    public int maxChannelNumber() {
        return rfc5766Channels ? TurnLimits.CHANNEL_MAX_RFC5766 : TurnLimits.CHANNEL_MAX;
    }

    public TurnConfig withRfc5766Channels(boolean accept) {
        return new TurnConfig(realm, relayAddress, minPort, maxPort, maxLifetime, maxAllocations, userQuota, ipQuota,
                maxPermissions, maxChannels, allowLoopbackPeers, software, accept, amplificationSlack);
    }

    public TurnConfig withAmplificationSlack(int bytes) {
        return new TurnConfig(realm, relayAddress, minPort, maxPort, maxLifetime, maxAllocations, userQuota, ipQuota,
                maxPermissions, maxChannels, allowLoopbackPeers, software, rfc5766Channels, bytes);
    }

    public TurnConfig withPorts(int min, int max) {
        return new TurnConfig(realm, relayAddress, min, max, maxLifetime, maxAllocations, userQuota, ipQuota,
                maxPermissions, maxChannels, allowLoopbackPeers, software, rfc5766Channels, amplificationSlack);
    }

    public TurnConfig withQuotas(int maxAllocations, int userQuota, int ipQuota) {
        return new TurnConfig(realm, relayAddress, minPort, maxPort, maxLifetime, maxAllocations, userQuota, ipQuota,
                maxPermissions, maxChannels, allowLoopbackPeers, software, rfc5766Channels, amplificationSlack);
    }

    public TurnConfig withPeerLimits(int maxPermissions, int maxChannels) {
        return new TurnConfig(realm, relayAddress, minPort, maxPort, maxLifetime, maxAllocations, userQuota, ipQuota,
                maxPermissions, maxChannels, allowLoopbackPeers, software, rfc5766Channels, amplificationSlack);
    }

    public TurnConfig withLoopbackPeers(boolean allow) {
        return new TurnConfig(realm, relayAddress, minPort, maxPort, maxLifetime, maxAllocations, userQuota, ipQuota,
                maxPermissions, maxChannels, allow, software, rfc5766Channels, amplificationSlack);
    }

    public TurnConfig withMaxLifetime(Duration d) {
        return new TurnConfig(realm, relayAddress, minPort, maxPort, d, maxAllocations, userQuota, ipQuota,
                maxPermissions, maxChannels, allowLoopbackPeers, software, rfc5766Channels, amplificationSlack);
    }

    public TurnConfig withSoftware(String s) {
        return new TurnConfig(realm, relayAddress, minPort, maxPort, maxLifetime, maxAllocations, userQuota, ipQuota,
                maxPermissions, maxChannels, allowLoopbackPeers, s, rfc5766Channels, amplificationSlack);
    }
}
