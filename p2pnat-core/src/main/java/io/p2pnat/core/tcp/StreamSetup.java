package io.p2pnat.core.tcp;

import io.p2pnat.core.peer.Introduction;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongFunction;

/**
 * What happens on one TCP stream of a punch before it is handed to the application, as a
 * sans-I/O state machine shared by every driver (real sockets, the simulator): the stream relay's
 * RELAY-ATTACH answer, the introduction an accepted stream names in its first message, and the
 * {@link StreamAuth} proof of the introduction's credentials (RFC 5128 §6.1). The driver writes
 * what it returns and tells the connector when {@link #takeAuthenticated()} or
 * {@link #takeNominated()} report something new.
 */
public final class StreamSetup {
    /** How the stream came to be. */
    public enum Kind {
        /** We connected out to a candidate. */
        ATTEMPT,
        /** The peer connected to our listening port; the introduction is learned from its first message. */
        ACCEPTED,
        /** A connection to the server's stream relay (RELAY-ATTACH first). */
        RELAY
    }

    private final Kind kind;
    private final String localId;
    private final Random random;
    private Introduction intro;
    private StreamAuth auth;
    private boolean relayAttached;
    private boolean reportedAuthenticated;
    private boolean reportedNominated;
    private StreamHandshake handshake;

    /** @param intro the introduction; null for {@link Kind#ACCEPTED} streams */
    public StreamSetup(Kind kind, Introduction intro, String localId, Random random) {
        this.kind = kind;
        this.intro = intro;
        this.localId = localId;
        this.random = random;
    }

    /** Carries the Noise handshake in this stream's authentication (see {@link StreamHandshake}). */
    public StreamSetup withHandshake(StreamHandshake h) {
        this.handshake = h;
        return this;
    }

    /** The introduction, once known. */
    public Introduction introduction() {
        return intro;
    }

    public boolean relayAttached() {
        return relayAttached;
    }

    /** The unsigned RELAY-ATTACH request for a relay stream; the driver signs it for the server. */
    public StunMessage.Builder relayAttachRequest() {
        return StunMessage.builder(StunMethod.RELAY_ATTACH, StunClass.REQUEST, TransactionId.random(random))
                .addString(StunAttributeType.PEER_ID, localId)
                .addAttribute(StunAttributeType.INTRO_ID, ByteBuffer.allocate(8).putLong(intro.introId()).array());
    }

    /** The connection is up: what to write first (our proof on an attempt), or null. */
    public byte[] onEstablished() {
        if (kind != Kind.ATTEMPT) {
            return null;
        }
        auth = new StreamAuth(intro, localId, random, handshake);
        return auth.hello();
    }

    /**
     * Handles one STUN message from the stream and returns what to write back.
     *
     * @param punching finds the introduction of an id we are still punching (null when none)
     * @throws StunParseException if the stream is not ours or does not authenticate: close it
     */
    public List<byte[]> onMessage(byte[] raw, LongFunction<Introduction> punching) throws StunParseException {
        List<byte[]> out = new ArrayList<>();
        if (kind == Kind.RELAY && !relayAttached) {
            StunMessage m = StunMessage.decode(raw);
            if (m.method() != StunMethod.RELAY_ATTACH || m.messageClass() != StunClass.SUCCESS_RESPONSE) {
                throw new StunParseException("relay refused");
            }
            relayAttached = true;
            auth = new StreamAuth(intro, localId, random, handshake);
            out.add(auth.hello());
            return out;
        }
        if (auth == null) {
            // An accepted stream: its first message names the introduction.
            String user = StunMessage.decode(raw).string(StunAttributeType.USERNAME).orElse("");
            java.util.OptionalLong id = Introduction.idFromUsername(user);
            Introduction found = id.isPresent() ? punching.apply(id.getAsLong()) : null;
            if (found == null) {
                throw new StunParseException("stream for no introduction of ours");
            }
            intro = found;
            auth = new StreamAuth(found, localId, random, handshake);
            out.add(auth.hello());
        }
        out.addAll(auth.onMessage(raw));
        return out;
    }

    /** True once, when both sides have proved the credentials. */
    public boolean takeAuthenticated() {
        if (auth != null && auth.authenticated() && !reportedAuthenticated) {
            reportedAuthenticated = true;
            return true;
        }
        return false;
    }

    /** True once, when the dialer has nominated this authenticated stream. */
    public boolean takeNominated() {
        if (auth != null && reportedAuthenticated && auth.nominated() && !reportedNominated) {
            reportedNominated = true;
            return true;
        }
        return false;
    }

    /** The dialer's choice of this stream, to write before the hand-over. */
    public byte[] nomination() {
        return auth.nomination(random);
    }

    public boolean isRelay() {
        return kind == Kind.RELAY;
    }
}
