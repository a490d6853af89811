package io.p2pnat.core.tcp;

import io.p2pnat.core.peer.Introduction;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Proves the per-introduction credentials over a freshly established stream before the
 * application sees it (RFC 5128 §6.1: an endpoint that merely answers a SYN may be the wrong
 * host). Symmetric, since after a simultaneous open neither side is the "client": each sends a
 * STUN Binding request under the introduction key and answers the other's. The dialer then
 * nominates one stream with a USE-CANDIDATE indication; after that the stream carries only
 * application bytes.
 */
public final class StreamAuth {
    private final Introduction intro;
    private final String localId;
    private final TransactionId helloId;
    private boolean peerProven;
    private boolean acked;
    private boolean nominated;
    private final StreamHandshake handshake;

    public StreamAuth(Introduction intro, String localId, Random random) {
        this(intro, localId, random, null);
    }

    /** As above; {@code handshake} (null: none) carries the Noise handshake in the Binding exchange. */
    public StreamAuth(Introduction intro, String localId, Random random, StreamHandshake handshake) {
        this.intro = intro;
        this.localId = localId;
        this.helloId = TransactionId.random(random);
        this.handshake = handshake;
    }

    public Introduction introduction() {
        return intro;
    }

    /** Our proof, to write first. */
    public byte[] hello() {
        StunMessage.Builder b = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, helloId)
                .addString(StunAttributeType.USERNAME, intro.introIdHex() + ":" + localId);
        byte[] offer = handshake != null && intro.dialer() ? handshake.offer(intro) : null;
        if (offer != null) {
            b.addAttribute(StunAttributeType.NOISE_HANDSHAKE, offer);
        }
        return b.build().encode(intro.introKey(), true);
    }

    /** The dialer's choice of this stream. */
    public byte[] nomination(Random random) {
        return StunMessage.builder(StunMethod.BINDING, StunClass.INDICATION, TransactionId.random(random))
                .addString(StunAttributeType.USERNAME, intro.introIdHex() + ":" + localId)
                .addAttribute(StunAttributeType.USE_CANDIDATE, new byte[0])
                .build().encode(intro.introKey(), true);
    }

    /**
     * Handles one message from the stream and returns what to write back (possibly nothing).
     *
     * @throws StunParseException if the message is malformed or not from the introduced peer
     */
    public List<byte[]> onMessage(byte[] raw) throws StunParseException {
        StunMessage m = StunMessage.decode(raw);
        List<byte[]> replies = new ArrayList<>();
        if (m.method() != StunMethod.BINDING || !m.checkIntegrity(intro.introKey())) {
            throw new StunParseException("stream peer failed authentication");
        }
        switch (m.messageClass()) {
            case REQUEST -> {
                if (!authenticUser(m)) {
                    throw new StunParseException("stream peer is not '" + intro.peerId() + "'");
                }
                peerProven = true;
                StunMessage.Builder ok = StunMessage.builder(StunMethod.BINDING, StunClass.SUCCESS_RESPONSE, m.transactionId());
                byte[] first = m.bytes(StunAttributeType.NOISE_HANDSHAKE).orElse(null);
                byte[] answer = first != null && handshake != null && !intro.dialer() ? handshake.answer(intro, first) : null;
                if (answer != null) {
                    ok.addAttribute(StunAttributeType.NOISE_HANDSHAKE, answer);
                }
                replies.add(ok.build().encode(intro.introKey(), true));
            }
            case SUCCESS_RESPONSE -> {
                if (!m.transactionId().equals(helloId)) {
                    throw new StunParseException("answer to a request we did not send");
                }
                acked = true;
                if (handshake != null && intro.dialer()) {
                    m.bytes(StunAttributeType.NOISE_HANDSHAKE).ifPresent(a -> handshake.answered(intro, a));
                }
            }
            case INDICATION -> {
                if (!authenticUser(m) || !m.has(StunAttributeType.USE_CANDIDATE)) {
                    throw new StunParseException("unexpected indication");
                }
                nominated = true;
            }
            default -> throw new StunParseException("unexpected " + m.messageClass());
        }
        return replies;
    }

    private boolean authenticUser(StunMessage m) {
        return m.string(StunAttributeType.USERNAME).orElse("").equals(intro.introIdHex() + ":" + intro.peerId());
    }

    /** Both sides proved the key to each other. */
    public boolean authenticated() {
        return peerProven && acked;
    }

    /** The dialer chose this stream (listener side). */
    public boolean nominated() {
        return nominated;
    }
}
