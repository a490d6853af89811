package io.p2pnat.core.rendezvous;

import io.p2pnat.core.SourceBudget;
import io.p2pnat.core.Transmit;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * The datagrams the rendezvous server sends, queued for the driver (RFC 5128 §6.2). Anything for
 * a source that has not proven itself goes through the {@link SourceBudget}, so S cannot be used
 * to reflect or amplify a flood; answers to registered peers are signed with their session key
 * and remembered, so a retransmitted request gets the same answer rather than a second action.
 */
final class Outbox {
    private final ArrayDeque<Transmit> out = new ArrayDeque<>();
    private final RendezvousStats stats;
    private final SourceBudget budget;

    Outbox(RendezvousStats stats, SourceBudget budget) {
        this.stats = stats;
        this.budget = budget;
    }

    Transmit poll() {
        return out.poll();
    }

    void send(InetSocketAddress to, byte[] bytes) {
        stats.packetsOut++;
        stats.bytesOut += bytes.length;
        out.add(new Transmit(to, bytes));
    }

    /** Sends an answer, error or challenge to an unauthenticated source within the {@link SourceBudget} rules. */
    void sendIfNoAmplification(long now, InetSocketAddress to, byte[] bytes, int requestLen) {
        if (!budget.answer(now, to.getAddress(), requestLen, bytes.length)) {
            stats.dropped++;
            return;
        }
        send(to, bytes);
    }

    void replyUnauthenticatedError(long now, InetSocketAddress to, StunMessage req, int code, String reason,
                                   int requestLen) {
        byte[] bytes = StunMessage.builder(req.method(), StunClass.ERROR_RESPONSE, req.transactionId())
                .addErrorCode(code, reason).build().encode();
        sendIfNoAmplification(now, to, bytes, requestLen);
    }

    /** Sends an authenticated answer and remembers it for retransmissions of the request. */
    void answer(Registration r, StunMessage req, InetSocketAddress to, byte[] bytes) {
        r.answered(req.transactionId(), bytes);
        send(to, bytes);
    }

    /** An error for an authenticated sender: integrity-protected with its session key. */
    void replyError(InetSocketAddress to, StunMessage req, Registration r, int code, String reason) {
        byte[] bytes = StunMessage.builder(req.method(), StunClass.ERROR_RESPONSE, req.transactionId())
                .addErrorCode(code, reason).build().encode(r.sessionKey, true);
        answer(r, req, to, bytes);
    }
}
