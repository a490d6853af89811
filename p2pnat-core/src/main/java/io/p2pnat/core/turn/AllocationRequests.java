package io.p2pnat.core.turn;

import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunMessage;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.OptionalLong;
import java.util.Random;

/**
 * Allocate (RFC 8656 §7.2) and Refresh (§8.2): creating, refreshing and deleting allocations.
 *
 * <p>Allocate checks, in the RFC's order: (2) "If the 5-tuple is currently in use by an existing
 * allocation ... 437" (unless it is a retransmission of the Allocate that created it, which gets
 * the same success response again, §5's idempotency); (3) REQUESTED-TRANSPORT missing or
 * malformed: 400, not UDP: 442; (4) DONT-FRAGMENT is not supported (Java cannot set the DF bit), so
 * it is "an unknown comprehension-required attribute": 420; (5) RESERVATION-TOKEN with EVEN-PORT,
 * REQUESTED-ADDRESS-FAMILY or ADDITIONAL-ADDRESS-FAMILY: 400, an invalid token: 508; (6) both
 * address-family attributes: 400; (7) a family other than the relay address's: 440; (8) EVEN-PORT
 * with R and ADDITIONAL-ADDRESS-FAMILY: 400, no such port pair: 508; (9) ADDITIONAL-ADDRESS-FAMILY
 * of IPv4: 400, of IPv6: only the IPv4 address is allocated and ADDRESS-ERROR-CODE 440 says so;
 * (10) quotas per user and per client IP: 486; capacity: 508.
 *
 * <p>Lifetime (§7.2, §8.2): "the minimum of the client's proposed lifetime and the server's maximum
 * allowed lifetime. If this computed value is greater than the default lifetime, then the server
 * uses the computed lifetime ... Otherwise, the server uses the default lifetime"; a Refresh with
 * LIFETIME 0 deletes the allocation.
 */
final class AllocationRequests {
    private static final int MAX_OPEN_ATTEMPTS = 3;
    private static final long RESERVATION_NANOS = TurnLimits.RESERVATION_LIFETIME.toNanos();

    private final TurnConfig config;
    private final AllocationTable table;
    private final PortPool ports;
    private final TurnReplies replies;
    private final ArrayDeque<TurnOutput> out;
    private final TurnStats stats;
    private final Random random;
    private final int family;

    AllocationRequests(TurnConfig config, AllocationTable table, PortPool ports, TurnReplies replies,
                       ArrayDeque<TurnOutput> out, TurnStats stats, Random random) {
        this.config = config;
        this.table = table;
        this.ports = ports;
        this.replies = replies;
        this.out = out;
        this.stats = stats;
        this.random = random;
        this.family = PeerPolicy.family(config.relayAddress());
    }

    void allocate(TurnRequest r, long now, int attempt) {
        StunMessage m = r.message();
        Allocation existing = table.byClient(r.from(), r.stream());
        if (existing != null && now >= existing.expiresAt && existing.open) {
            delete(existing);
            stats.allocationsExpired++;
            existing = null;
        }
        if (existing != null) {
            if (existing.allocateTransaction.equals(m.transactionId())) {
                if (existing.allocateResponse != null) {
                    replies.toClient(r.from(), r.stream(), existing.allocateResponse);
                }
                return; // a retransmission; while the relay port opens it gets no answer
            }
            replies.error(r, TurnLimits.ALLOCATION_MISMATCH);
            return;
        }
        byte[] transport = m.bytes(StunAttributeType.REQUESTED_TRANSPORT).orElse(null);
        if (transport == null) {
            replies.error(r, TurnLimits.BAD_REQUEST);
            return;
        }
        if ((transport[0] & 0xFF) != TurnLimits.PROTOCOL_UDP) {
            replies.error(r, TurnLimits.UNSUPPORTED_TRANSPORT);
            return;
        }
        if (m.has(StunAttributeType.DONT_FRAGMENT)) {
            replies.unknownAttributes(r, StunAttributeType.DONT_FRAGMENT);
            return;
        }
        byte[] token = m.bytes(StunAttributeType.RESERVATION_TOKEN).orElse(null);
        byte[] even = m.bytes(StunAttributeType.EVEN_PORT).orElse(null);
        byte[] raf = m.bytes(StunAttributeType.REQUESTED_ADDRESS_FAMILY).orElse(null);
        byte[] aaf = m.bytes(TurnLimits.ATTR_ADDITIONAL_ADDRESS_FAMILY).orElse(null);
        if ((token != null && (even != null || raf != null || aaf != null)) || (raf != null && aaf != null)) {
            replies.error(r, TurnLimits.BAD_REQUEST);
            return;
        }
        if ((raf != null && (raf[0] & 0xFF) != family) || (raf == null && family != 0x01)) {
            replies.error(r, TurnLimits.ADDRESS_FAMILY_NOT_SUPPORTED);
            return;
        }
        boolean reserve = even != null && (even[0] & 0x80) != 0;
        boolean additionalRefused = false;
        if (aaf != null) {
            if (reserve || aaf.length != 4 || aaf[0] != 0x02) {
                replies.error(r, TurnLimits.BAD_REQUEST);
                return;
            }
            additionalRefused = true; // one IPv4 relayed address only: ADDRESS-ERROR-CODE 440 for IPv6
        }
        if (table.userCount(r.credential().quotaKey()) >= config.userQuota()
                || table.ipCount(r.from().getAddress()) >= config.ipQuota()) {
            replies.error(r, TurnLimits.ALLOCATION_QUOTA_REACHED);
            return;
        }
        if (table.size() >= config.maxAllocations()) {
            replies.error(r, TurnLimits.INSUFFICIENT_CAPACITY);
            return;
        }
        int port;
        byte[] newToken = null;
        if (token != null) {
            long[] reservation = table.takeReservation(token);
            port = reservation == null ? -1 : (int) reservation[0];
            if (reservation != null && now >= reservation[1]) {
                ports.release(port);
                port = -1;
            }
        } else if (even != null) {
            port = ports.takeEven(reserve);
            if (port >= 0 && reserve) {
                newToken = new byte[8];
                random.nextBytes(newToken);
                table.reserve(newToken, port + 1, now + RESERVATION_NANOS);
            }
        } else {
            port = ports.take();
        }
        if (port < 0) {
            replies.error(r, TurnLimits.INSUFFICIENT_CAPACITY);
            return;
        }
        long lifetime = lifetimeSeconds(m.uint32(StunAttributeType.LIFETIME));
        Allocation a = new Allocation(r.from(), r.stream(), r.username(), r.credential().quotaKey(), r.credential().keyUnsafe(),
                port, m.transactionId(), now + lifetime * 1_000_000_000L);
        a.pending = new Allocation.PendingAllocate(r, lifetime, newToken, newToken == null ? -1 : port + 1,
                additionalRefused, attempt);
        table.add(a);
        out.add(new TurnOutput.OpenRelay(port));
    }

    /** The driver opened (or failed to open) the socket of relay port {@code port}. */
    void relayOpened(int port, boolean ok, long now) {
        Allocation a = port >= 0 && port <= 65535 ? table.byPort(port) : null;
        if (a == null || a.pending == null) {
            if (ok) {
                out.add(new TurnOutput.CloseRelay(port)); // nobody wants it any more
            }
            return;
        }
        Allocation.PendingAllocate p = a.pending;
        a.pending = null;
        if (!ok) {
            // The port is taken by someone else: leave it marked used, give up the allocation.
            table.remove(a);
            if (p.reservedPort() >= 0) {
                table.takeReservation(p.reservationToken());
                ports.release(p.reservedPort());
            }
            if (p.attempt() < MAX_OPEN_ATTEMPTS && p.request().message().bytes(StunAttributeType.RESERVATION_TOKEN).isEmpty()) {
                allocate(p.request(), now, p.attempt() + 1);
            } else {
                replies.error(p.request(), TurnLimits.INSUFFICIENT_CAPACITY);
            }
            return;
        }
        a.open = true;
        TurnRequest r = p.request();
        StunMessage.Builder b = replies.successBuilder(r)
                .addXorAddress(StunAttributeType.XOR_RELAYED_ADDRESS, new InetSocketAddress(config.relayAddress(), port))
                .addUint32(StunAttributeType.LIFETIME, p.lifetimeSeconds());
        if (p.reservationToken() != null) {
            b.addAttribute(StunAttributeType.RESERVATION_TOKEN, p.reservationToken());
        }
        b.addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, r.from());
        if (p.additionalFamilyRefused()) {
            b.addAttribute(TurnLimits.ATTR_ADDRESS_ERROR_CODE, addressErrorCode(0x02, TurnLimits.ADDRESS_FAMILY_NOT_SUPPORTED));
        }
        a.allocateResponse = replies.success(r, b);
        stats.allocationsCreated++;
    }

    /** RFC 8656 §8.2. The caller found the allocation and checked the username (441). */
    void refresh(TurnRequest r, Allocation a, long now) {
        StunMessage m = r.message();
        byte[] raf = m.bytes(StunAttributeType.REQUESTED_ADDRESS_FAMILY).orElse(null);
        if (raf != null && (raf[0] & 0xFF) != family) {
            replies.error(r, TurnLimits.PEER_ADDRESS_FAMILY_MISMATCH);
            return;
        }
        OptionalLong requested = m.uint32(StunAttributeType.LIFETIME);
        long lifetime = requested.isPresent() && requested.getAsLong() == 0 ? 0 : lifetimeSeconds(requested);
        if (lifetime == 0) {
            delete(a);
            stats.allocationsDeleted++;
        } else {
            a.expiresAt = now + lifetime * 1_000_000_000L;
            table.schedule(a.expiresAt);
        }
        replies.success(r, replies.successBuilder(r).addUint32(StunAttributeType.LIFETIME, lifetime));
    }

    /** Removes an allocation and closes its relay socket. */
    void delete(Allocation a) {
        table.remove(a);
        release(a);
    }

    /** Frees the relay port of an allocation already removed from the table. */
    void release(Allocation a) {
        ports.release(a.relayPort);
        if (a.open) {
            out.add(new TurnOutput.CloseRelay(a.relayPort));
        }
    }

    /** Frees a port that was held for an expired reservation. */
    void releasePort(int port) {
        ports.release(port);
    }

    private long lifetimeSeconds(OptionalLong requested) {
        long def = TurnLimits.DEFAULT_LIFETIME.toSeconds();
        if (requested.isEmpty()) {
            return def;
        }
        long computed = Math.min(requested.getAsLong(), config.maxLifetime().toSeconds());
        return Math.max(computed, def);
    }

    /** RFC 8656 §18.12: family, 13 reserved bits, class, number, reason. */
    private static byte[] addressErrorCode(int family, int code) {
        byte[] reason = TurnLimits.reason(code).getBytes(StandardCharsets.UTF_8);
        byte[] v = new byte[4 + reason.length];
        v[0] = (byte) family;
        v[2] = (byte) (code / 100);
        v[3] = (byte) (code % 100);
        System.arraycopy(reason, 0, v, 4, reason.length);
        return v;
    }
}
