package io.p2pnat.core.rendezvous;

import io.p2pnat.core.PeerIds;
import io.p2pnat.core.Signaling;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;

/**
 * REGISTER and KEEPALIVE over UDP (RFC 5128 §3.3: S records the private endpoints the client
 * reports and the public endpoint it observes). No state is kept for a source before it returns
 * a cookie (§6.2), and an id stays with the identity key that first registered it (§6.3), so a
 * spoofed or hijacking REGISTER cannot take a peer's place.
 */
final class Registrar {
    private static final long COOKIE_BUCKET = 30_000_000_000L;

    private final RendezvousConfig config;
    private final Random random;
    private final RegistrationTable registrations;
    private final StreamSessions streams;
    private final RendezvousStats stats;
    private final Outbox outbox;
    private final AddressCookies cookies;
    private final IdentityBindings identityKeys;
    private int alternatePort;
    private InetSocketAddress otherAddress;

    /** Draws the cookie secret, then the server's identity key, from {@code random}. */
    Registrar(RendezvousConfig config, Random random, RegistrationTable registrations, StreamSessions streams,
              RendezvousStats stats, Outbox outbox) {
        this.config = config;
        this.random = random;
        this.registrations = registrations;
        this.streams = streams;
        this.stats = stats;
        this.outbox = outbox;
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        this.cookies = new AddressCookies(secret, COOKIE_BUCKET);
        this.identityKeys = new IdentityBindings(random, config.maxRegistrations(), config.dh());
    }

    IdentityBindings identityKeys() {
        return identityKeys;
    }

    void setAlternatePort(int port) {
        this.alternatePort = port;
    }

    void setOtherAddress(InetSocketAddress other) {
        this.otherAddress = other;
    }

    void onRegister(long now, InetSocketAddress from, StunMessage m, int requestLen) {
        String peerId = m.string(StunAttributeType.PEER_ID).orElse(null);
        if (!PeerIds.isValid(peerId)) {
            outbox.replyUnauthenticatedError(now, from, m, Signaling.ERR_BAD_REQUEST, "bad peer id", requestLen);
            return;
        }
        byte[] cookie = m.bytes(StunAttributeType.COOKIE).orElse(null);
        if (!cookies.check(from, cookie, now)) {
            // Stateless challenge: prove you receive at this address (RFC 5128 §6.2).
            byte[] challenge = StunMessage.builder(StunMethod.REGISTER, StunClass.ERROR_RESPONSE, m.transactionId())
                    .addErrorCode(Signaling.ERR_COOKIE_REQUIRED, "cookie")
                    .addAttribute(StunAttributeType.COOKIE, cookies.issue(from, now))
                    .addAttribute(StunAttributeType.SERVER_KEY, identityKeys.serverPublicKey())
                    .build().encode();
            outbox.sendIfNoAmplification(now, from, challenge, requestLen);
            return;
        }
        List<InetSocketAddress> privates = m.xorAddresses(StunAttributeType.PRIVATE_ENDPOINT);
        if (privates.size() > Signaling.MAX_PRIVATE_ENDPOINTS) {
            outbox.replyUnauthenticatedError(now, from, m, Signaling.ERR_BAD_REQUEST, "too many endpoints", requestLen);
            return;
        }
        Registration existing = registrations.get(peerId);
        if (existing != null && m.transactionId().equals(existing.registerTid) && from.equals(existing.publicEndpoint)) {
            // A retransmitted or duplicated REGISTER: answer with the same session key, or the
            // peer keeps the first answer's key and every later signed request would fail.
            outbox.send(from, existing.registerAnswer);
            return;
        }
        if (existing == null && registrations.size() >= config.maxRegistrations()) {
            outbox.replyUnauthenticatedError(now, from, m, Signaling.ERR_CAPACITY, "server full", requestLen);
            return;
        }
        // The id belongs to the first identity key that registered it; later registrations must
        // prove they hold that key (RFC 5128 §6.3). A restarted peer with its key takes its id back.
        byte[] staticKey = m.bytes(StunAttributeType.STATIC_KEY).orElse(null);
        byte[] proof = m.bytes(StunAttributeType.KEY_PROOF).orElse(null);
        if (!identityKeys.proofHolds(staticKey, proof, cookie, peerId)) {
            outbox.replyUnauthenticatedError(now, from, m, Signaling.ERR_BAD_REQUEST, "key proof", requestLen);
            return;
        }
        IdentityBindings.Outcome bound = identityKeys.bind(peerId, staticKey);
        if (bound == IdentityBindings.Outcome.TAKEN) {
            outbox.replyUnauthenticatedError(now, from, m, Signaling.ERR_KEY_MISMATCH, "id taken", requestLen);
            return;
        }
        if (bound == IdentityBindings.Outcome.NOT_KEPT) {
            // Never bind an id the store did not keep: after a restart another key could take it.
            stats.identitiesNotKept++;
            outbox.replyUnauthenticatedError(now, from, m, Signaling.ERR_CAPACITY, "identity not kept", requestLen);
            return;
        }
        byte[] sessionKey = new byte[16];
        random.nextBytes(sessionKey);
        long lifetime = config.registrationLifetime().toNanos();
        Registration registration = new Registration(peerId, sessionKey, privates, from, now + lifetime);
        registration.staticKey = staticKey;
        registrations.put(registration);
        streams.onUdpRegistration(registration);
        stats.registrations++;
        StunMessage.Builder b = StunMessage.builder(StunMethod.REGISTER, StunClass.SUCCESS_RESPONSE, m.transactionId())
                .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, from)
                .addAttribute(StunAttributeType.SESSION_KEY,
                        identityKeys.sealSessionKey(staticKey, sessionKey, m.transactionId().toBytes()))
                .addUint32(StunAttributeType.LIFETIME_SECONDS, config.registrationLifetime().toSeconds());
        if (alternatePort > 0) {
            b.addUint32(Signaling.ATTR_ALT_PORT, alternatePort);
        }
        if (otherAddress != null) {
            b.addAddress(StunAttributeType.OTHER_ADDRESS, otherAddress);
        }
        if (config.software() != null) {
            b.addString(StunAttributeType.SOFTWARE, config.software());
        }
        byte[] answer = b.build().encode(sessionKey, true);
        registration.registerTid = m.transactionId();
        registration.registerAnswer = answer;
        outbox.send(from, answer);
    }

    /** A KEEPALIVE from the authenticated peer {@code r}: the registration lives another lifetime. */
    void onKeepalive(long now, InetSocketAddress from, StunMessage m, Registration r) {
        registrations.refresh(r, now + config.registrationLifetime().toNanos());
        r.takeNatReport(m);
        StunMessage.Builder b = StunMessage.builder(StunMethod.KEEPALIVE, StunClass.SUCCESS_RESPONSE, m.transactionId())
                .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, from);
        outbox.answer(r, m, from, b.build().encode(r.sessionKey, true));
    }
}
