package io.p2pnat.core.turn;

import io.p2pnat.core.SourceBudget;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * Builds and queues the TURN service's STUN responses.
 *
 * <p><b>Amplification rule.</b> An answer to a request that has not passed authentication (401,
 * 438, 400) is never larger than that request. Such answers are built as small as the standard
 * allows: RFC 8489 §9.2.4 requires REALM and NONCE in a 401/438, and nothing else; the reason
 * phrase, FINGERPRINT and SOFTWARE are optional. The service tries, in order, (1) with the reason
 * phrase and FINGERPRINT (if the request had one), (2) without the reason phrase, (3) without
 * FINGERPRINT either, and sends the first that fits; if none fits, it sends nothing and counts an
 * amplification drop. With the default 6-character realm and the 8-character nonce of
 * {@link Nonces}, the minimal 401 is 52 bytes ({@code 20 + ERROR-CODE 8 + REALM 12 + NONCE 12}):
 * it fits the 52-, 56- and 60-byte first Allocates of coturn's turnutils_uclient (without
 * FINGERPRINT), and any client that pads its first request to 52 bytes. Clients that send the
 * bare minimum (REQUESTED-TRANSPORT alone, 28 bytes; with FINGERPRINT, 36) get no answer unless
 * the operator allows {@link TurnConfig#amplificationSlack()} extra bytes.
 *
 * <p><b>Rate limit.</b> These answers are also rate-limited per source address (RFC 5128 §6.2) by
 * a {@link SourceBudget}: a burst of {@link #ERROR_BURST}, then {@link #ERROR_RATE} per second
 * (generous, since load generators and media servers open many allocations from one address);
 * answers held back count as {@link TurnStats#rateLimited()}.
 */
final class TurnReplies {
    static final int ERROR_BURST = 256;
    static final int ERROR_RATE = 128;
    private final TurnConfig config;
    private final ArrayDeque<TurnOutput> out;
    private final TurnStats stats;
    private final SourceBudget budget = new SourceBudget(SourceBudget.DEFAULT_MAX_SOURCES, ERROR_BURST, ERROR_RATE);

    TurnReplies(TurnConfig config, ArrayDeque<TurnOutput> out, TurnStats stats) {
        this.config = config;
        this.out = out;
        this.stats = stats;
    }

    /** A 401 or 438 with REALM and NONCE, bounded by the request's size. */
    void challenge(long now, StunMessage req, InetSocketAddress to, boolean stream, int requestLength, int code, String nonce) {
        byte[] bytes = smallest(req, requestLength, code, true, nonce);
        if (bytes == null) {
            stats.amplificationDrops++;
            return;
        }
        if (!budget.error(now, to.getAddress(), requestLength + config.amplificationSlack(), bytes.length)) {
            stats.rateLimited++;
            return;
        }
        if (code == TurnLimits.STALE_NONCE) {
            stats.staleNonces++;
        } else {
            stats.challenges++;
        }
        toClient(to, stream, bytes);
    }

    /** An error (400) to an unauthenticated request, bounded by the request's size. */
    void unauthenticatedError(long now, StunMessage req, InetSocketAddress to, boolean stream, int requestLength, int code) {
        byte[] bytes = smallest(req, requestLength, code, false, null);
        if (bytes == null) {
            stats.amplificationDrops++;
            return;
        }
        if (!budget.error(now, to.getAddress(), requestLength + config.amplificationSlack(), bytes.length)) {
            stats.rateLimited++;
            return;
        }
        stats.errors++;
        toClient(to, stream, bytes);
    }

    private byte[] smallest(StunMessage req, int limit, int code, boolean realmAndNonce, String nonce) {
        boolean fp = req.has(StunAttributeType.FINGERPRINT);
        for (int attempt = 0; attempt < 3; attempt++) {
            boolean reason = attempt == 0;
            boolean withFp = fp && attempt < 2;
            StunMessage.Builder b = StunMessage.builder(req.method(), StunClass.ERROR_RESPONSE, req.transactionId())
                    .addErrorCode(code, reason ? TurnLimits.reason(code) : "");
            if (realmAndNonce) {
                b.addString(StunAttributeType.REALM, config.realm()).addString(StunAttributeType.NONCE, nonce);
            }
            byte[] bytes = b.build().encode(null, withFp);
            if (bytes.length <= limit + config.amplificationSlack()) {
                return bytes;
            }
        }
        return null;
    }

    /** An error to an authenticated request: with reason phrase, integrity-protected. */
    void error(TurnRequest r, int code) {
        stats.errors++;
        StunMessage.Builder b = StunMessage.builder(r.message().method(), StunClass.ERROR_RESPONSE, r.message().transactionId())
                .addErrorCode(code, TurnLimits.reason(code));
        toClient(r.from(), r.stream(), encode(r, b));
    }

    /** 420 listing the attributes not understood (RFC 8489 §6.3.1.1). */
    void unknownAttributes(TurnRequest r, int... types) {
        stats.errors++;
        StunMessage.Builder b = StunMessage.builder(r.message().method(), StunClass.ERROR_RESPONSE, r.message().transactionId())
                .addErrorCode(TurnLimits.UNKNOWN_ATTRIBUTE, TurnLimits.reason(TurnLimits.UNKNOWN_ATTRIBUTE))
                .addUnknownAttributes(types);
        toClient(r.from(), r.stream(), encode(r, b));
    }

    /** A success response built from {@code b}; returns the bytes sent. */
    byte[] success(TurnRequest r, StunMessage.Builder b) {
        byte[] bytes = encode(r, b);
        toClient(r.from(), r.stream(), bytes);
        return bytes;
    }

    StunMessage.Builder successBuilder(TurnRequest r) {
        return StunMessage.builder(r.message().method(), StunClass.SUCCESS_RESPONSE, r.message().transactionId());
    }

    private byte[] encode(TurnRequest r, StunMessage.Builder b) {
        int method = r.message().method();
        if (config.software() != null && (method == StunMethod.ALLOCATE || method == StunMethod.REFRESH)) {
            b.addString(StunAttributeType.SOFTWARE, config.software()); // RFC 8656 §5: SHOULD
        }
        StunMessage m = b.build();
        byte[] key = r.credential().keyUnsafe();
        return r.wantsSha256() ? m.encodeSha256(key, r.wantsFingerprint()) : m.encode(key, r.wantsFingerprint());
    }

    void toClient(InetSocketAddress to, boolean stream, byte[] bytes) {
        out.add(new TurnOutput.ToClient(to, bytes, stream));
    }
}
