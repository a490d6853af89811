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
 * <p><b>Answers to unauthenticated requests</b> (401, 438, 400) follow RFC 8489 §9.2.4 and RFC
 * 8656 §7.2: every request without MESSAGE-INTEGRITY gets its 401 with REALM and NONCE, because a
 * client learns them only from it (a browser's first Allocate is 28 bytes, aioice's and werift's
 * 36). Over UDP they follow the {@link SourceBudget} rules of RFC 5128 §6.2: an answer at most
 * {@link SourceBudget#MAX_RATIO} times its request and {@link SourceBudget#MAX_ANSWER_BYTES} bytes
 * (plus {@link TurnConfig#amplificationSlack()}), and per-source and global rates no normal client
 * meets. The answer is built with the reason phrase and FINGERPRINT (if the request had one);
 * where that is too large (a very long realm), without the reason phrase, then without FINGERPRINT.
 * With the default realm the 401 to a bare 28-byte Allocate is 64 bytes (2.3x), 72 with
 * FINGERPRINT to a 36-byte one (2x). Over TCP and TLS (§3.1) nothing is metered: the handshake
 * proved the source, and the per-address connection quota bounds the rest.
 */
final class TurnReplies {
    private final TurnConfig config;
    private final ArrayDeque<TurnOutput> out;
    private final TurnStats stats;
    private final SourceBudget budget = new SourceBudget();

    TurnReplies(TurnConfig config, ArrayDeque<TurnOutput> out, TurnStats stats) {
        this.config = config;
        this.out = out;
        this.stats = stats;
    }

    /** A 401 or 438 with REALM and NONCE, bounded by the request's size. */
    void challenge(long now, StunMessage req, InetSocketAddress to, boolean stream, int requestLength, int code, String nonce) {
        byte[] bytes = smallest(req, stream ? Integer.MAX_VALUE : requestLength, code, true, nonce);
        if (!admit(now, to, stream, requestLength, bytes)) {
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
        byte[] bytes = smallest(req, stream ? Integer.MAX_VALUE : requestLength, code, false, null);
        if (!admit(now, to, stream, requestLength, bytes)) {
            return;
        }
        stats.errors++;
        toClient(to, stream, bytes);
    }

    /** True if the answer may go: always over a stream; over UDP within the size rule and the source's rates. */
    private boolean admit(long now, InetSocketAddress to, boolean stream, int requestLength, byte[] bytes) {
        if (stream) {
            return true;
        }
        if (bytes == null) {
            stats.amplificationDrops++;
            return false;
        }
        if (!budget.answer(now, to.getAddress(), requestLength + config.amplificationSlack(), bytes.length)) {
            stats.rateLimited++;
            return false;
        }
        return true;
    }

    /**
     * The fullest answer within the size rule for a request of {@code requestLength} bytes
     * ({@link Integer#MAX_VALUE}: no limit), or null if even the smallest breaks it.
     */
    private byte[] smallest(StunMessage req, int requestLength, int code, boolean realmAndNonce, String nonce) {
        long limit = requestLength == Integer.MAX_VALUE ? Long.MAX_VALUE
                : SourceBudget.sizeLimit(requestLength + config.amplificationSlack());
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
            if (bytes.length <= limit) {
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
