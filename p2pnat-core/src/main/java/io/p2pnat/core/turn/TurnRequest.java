package io.p2pnat.core.turn;

import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunMessage;
import java.net.InetSocketAddress;

/**
 * An authenticated TURN request (RFC 8489 §9.2.4 passed): the message, where it came from (over
 * UDP, or over a TCP connection when {@code stream}: another 5-tuple even from the same address), its
 * size, and the credential its MESSAGE-INTEGRITY was checked with. Responses to it carry
 * MESSAGE-INTEGRITY under the same key (§9.2.4: "the server ... MUST include" it), the same kind
 * (SHA-256 if that is all the request had), and FINGERPRINT if the request had one.
 */
record TurnRequest(StunMessage message, InetSocketAddress from, boolean stream, int length, TurnCredential credential,
                   String username) {
    boolean wantsSha256() {
        return message.has(StunAttributeType.MESSAGE_INTEGRITY_SHA256) && !message.has(StunAttributeType.MESSAGE_INTEGRITY);
    }

    boolean wantsFingerprint() {
        return message.has(StunAttributeType.FINGERPRINT);
    }
}
