package io.p2pnat.core.rendezvous;

import io.p2pnat.core.SourceBudget;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import java.net.InetSocketAddress;

/**
 * A stateless STUN Binding responder (RFC 8489 §6), used on the server's alternate port: a peer
 * compares the mapped address seen there with the one seen on the main port to learn whether its
 * NAT's mapping is endpoint-independent (RFC 4787 §4.1, RFC 5780 §4.3). Stateless except for the
 * caller's {@link SourceBudget}, which meters answers per source address (RFC 5128 §6.2): a
 * Binding answer is larger than a bare request, so a flood is answered only from its own bytes.
 */
public final class BindingResponder {
    private BindingResponder() {
    }

    /**
     * The answer to a Binding request from {@code from} at {@code now}, or null to drop the
     * datagram (not a Binding request, or over {@code budget} for that source).
     */
    public static byte[] answer(long now, SourceBudget budget, InetSocketAddress from, byte[] buf, int off, int len) {
        if (!StunMessage.looksLikeStun(buf, off, len)) {
            return null;
        }
        try {
            StunMessage m = StunMessage.decode(buf, off, len);
            if (m.method() != StunMethod.BINDING || m.messageClass() != StunClass.REQUEST) {
                return null;
            }
            byte[] answer = StunMessage.builder(StunMethod.BINDING, StunClass.SUCCESS_RESPONSE, m.transactionId())
                    .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, from)
                    .build().encode(null, m.has(StunAttributeType.FINGERPRINT));
            return budget.answer(now, from.getAddress(), len, answer.length) ? answer : null;
        } catch (StunParseException e) {
            return null;
        }
    }
}
