package io.p2pnat.cli;

import io.p2pnat.server.TurnSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The TURN options of `p2pnat server`. */
final class TurnOptions {
    @Option(names = "--turn", description = "Run the TURN server (needs --turn-users or --turn-secret; implied by them).")
    boolean enabled;

    @Option(names = "--turn-users", paramLabel = "FILE",
            description = {"Long-term credentials, one 'user:password' per line ('#' comments; the user is",
                    "everything before the first ':').",})
    Path usersFile;

    @Option(names = "--turn-secret", paramLabel = "SECRET",
            description = {"Shared secret for time-limited credentials (TURN REST API, like coturn's",
                    "--use-auth-secret): user 'EXPIRY:name', password base64(HMAC-SHA1(SECRET, user))."})
    String secret;

    @Option(names = "--turn-secret-file", paramLabel = "FILE", description = "Read the shared secret from FILE (keeps it out of ps).")
    Path secretFile;

    @Option(names = "--realm", paramLabel = "R", defaultValue = "p2pnat",
            description = "TURN realm (default: ${DEFAULT-VALUE}; realms over about 60 bytes need --turn-amplification-slack for bare first Allocates).")
    String realm;

    @Option(names = "--relay-ports", paramLabel = "A-B", defaultValue = "49152-65535",
            description = "Relay port range, one port per allocation (default: ${DEFAULT-VALUE}).")
    String relayPorts;

    @Option(names = "--relay-ip", paramLabel = "IP",
            description = "Relayed address told to clients (default: the --bind address, or the first non-loopback IPv4 when bound to 0.0.0.0).")
    String relayIp;

    @Option(names = "--turn-max-allocations", paramLabel = "N", defaultValue = "10000",
            description = "Allocations at most (default: ${DEFAULT-VALUE}).")
    int maxAllocations;

    @Option(names = "--turn-user-quota", paramLabel = "N", defaultValue = "100",
            description = "Allocations per user at most (486 beyond; default: ${DEFAULT-VALUE}).")
    int userQuota;

    @Option(names = "--turn-ip-quota", paramLabel = "N", defaultValue = "20",
            description = "Allocations per client IP at most (486 beyond; default: ${DEFAULT-VALUE}).")
    int ipQuota;

    @Option(names = "--turn-max-lifetime", paramLabel = "S", defaultValue = "3600",
            description = "Longest allocation lifetime granted, seconds (default: ${DEFAULT-VALUE}).")
    int maxLifetime;

    @Option(names = "--turn-allow-loopback-peers", description = "Allow peers on loopback addresses (for tests and benchmarks only).")
    boolean allowLoopbackPeers;

    @Option(names = "--turn-strict-channels",
            description = "Accept only RFC 8656 channel numbers 0x4000-0x4FFF (default: also RFC 5766's 0x5000-0x7FFF).")
    boolean strictChannels;

    @Option(names = "--turn-amplification-slack", paramLabel = "BYTES", defaultValue = "0",
            description = {"Count unauthenticated UDP requests this many bytes larger when sizing their answers (0-512;",
                    "default ${DEFAULT-VALUE}: answers up to 5x the request and 128 bytes, enough for every standard client)."})
    int amplificationSlack;

    /** The settings, or null when TURN stays off. */
    TurnSettings settings(InetAddress bind) throws IOException {
        if (usersFile == null && secret == null && secretFile == null) {
            if (enabled) {
                throw new Main.UsageError("--turn needs credentials: --turn-users FILE or --turn-secret SECRET");
            }
            return null;
        }
        if (secret != null && secretFile != null) {
            throw new Main.UsageError("give --turn-secret or --turn-secret-file, not both");
        }
        int[] range = ports(relayPorts);
        InetAddress relay;
        try {
            relay = relayIp == null ? TurnSettings.defaultRelayAddress(bind) : InetAddress.getByName(relayIp);
        } catch (UnknownHostException e) {
            throw new Main.UsageError("bad --relay-ip '" + relayIp + "': not an IP address");
        }
        TurnSettings.Builder builder;
        try {
            builder = TurnSettings.builder(realm, relay).relayPorts(range[0], range[1])
                    .quotas(maxAllocations, userQuota, ipQuota)
                    .maxLifetime(Duration.ofSeconds(maxLifetime))
                    .loopbackPeers(allowLoopbackPeers)
                    .rfc5766Channels(!strictChannels)
                    .amplificationSlack(amplificationSlack);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageError("bad TURN option: " + e.getMessage());
        }
        if (usersFile != null) {
            try {
                builder.usersFile(usersFile);
            } catch (NoSuchFileException e) {
                throw new Main.UsageError("--turn-users: no such file " + usersFile);
            } catch (IllegalArgumentException e) {
                throw new Main.UsageError("--turn-users " + usersFile + ": " + e.getMessage());
            }
        }
        String s = secretFile != null ? Files.readString(secretFile, StandardCharsets.UTF_8).strip() : secret;
        if (s != null) {
            if (s.isEmpty()) {
                throw new Main.UsageError("the TURN shared secret is empty");
            }
            builder.sharedSecret(s);
        }
        return builder.build();
    }

    static int[] ports(String text) {
        String[] parts = text.split("-", -1);
        try {
            if (parts.length == 2) {
                int a = Integer.parseInt(parts[0].trim());
                int b = Integer.parseInt(parts[1].trim());
                if (a >= 1024 && b <= 65535 && a <= b) {
                    return new int[] {a, b};
                }
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new Main.UsageError("bad --relay-ports '" + text + "': use A-B within 1024-65535");
    }

    static String describe(TurnSettings t, boolean tls) {
        return "TURN on: " + t.describe() + "; clients over UDP or TCP" + (tls ? " or TLS" : "");
    }
}
