package io.p2pnat.core.rendezvous;

import io.p2pnat.core.secure.DhFunction;
import io.p2pnat.core.secure.Identity;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Peer ids bound to identity keys (RFC 5128 §6.3): the first registration of an id binds it to
 * its public key; later registrations must carry that key and prove they hold its private half.
 * The proof is an HMAC-SHA256 under DH(peer key, server key) over the cookie and the id, so it is
 * fresh (the cookie changes every 30 s) and worthless for any other server. DH is the server
 * identity's {@link DhFunction} (X25519 unless a simulation configured a stand-in).
 */
final class IdentityBindings {
    private final Identity server;
    private final Map<String, byte[]> keys;
    /** DH(server, peer key) per bound key: a peer's repeat registrations cost no key agreement. */
    private final Map<String, byte[]> shared;

    IdentityBindings(Random random, int max, DhFunction dh) {
        byte[] seed = new byte[Identity.KEY_BYTES];
        random.nextBytes(seed);
        this.server = Identity.fromPrivateKey(seed, dh);
        this.shared = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
                return size() > Math.max(1, max);
            }
        };
        this.keys = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
                return size() > Math.max(1, max);
            }
        };
    }

    byte[] serverPublicKey() {
        return server.publicKey();
    }

    boolean proofHolds(byte[] staticKey, byte[] proof, byte[] cookie, String peerId) {
        if (staticKey == null || proof == null || staticKey.length != Identity.KEY_BYTES || cookie == null) {
            return false;
        }
        byte[] shared;
        try {
            shared = sharedWith(staticKey);
        } catch (IllegalArgumentException e) {
            return false; // no key of our DH function (a small-order point, another function's key)
        }
        return MessageDigest.isEqual(proof, proof(shared, cookie, peerId));
    }

    private byte[] sharedWith(byte[] key) {
        String k = java.util.HexFormat.of().formatHex(key);
        byte[] s = shared.get(k);
        if (s == null) {
            s = server.agree(key);
            shared.put(k, s);
        }
        return s;
    }

    /** What {@link #bind} found. */
    enum Outcome {
        /** The id is bound to this key (already, or now). */
        BOUND,
        /** The id is bound to another key. */
        TAKEN,
        /** A new binding could not be kept (the store failed, or holds its maximum). */
        NOT_KEPT
    }

    /** Where new bindings are kept (null: in memory only, the oldest evicted past the limit). */
    private IdentityStore store;
    /** The bindings while a store keeps them: a plain map, as a kept binding must never be evicted. */
    private Map<String, byte[]> unevicted;
    private int storeMax;
    private String storeError;

    /**
     * Keeps every binding in {@code store} from now on, after loading the ones it has: a kept
     * binding is never evicted (an evicted one would let another key take the id), so at most
     * {@code max} ids are bound; further new ids are refused.
     *
     * @return the bindings loaded
     */
    int keepIn(IdentityStore store, int max) throws java.io.IOException {
        Map<String, byte[]> loaded = store.load();
        unevicted = new java.util.HashMap<>(loaded);
        keys.clear();
        this.store = store;
        this.storeMax = max;
        return loaded.size();
    }

    /** Why the last {@link Outcome#NOT_KEPT} happened. */
    String lastStoreError() {
        return storeError;
    }

    /** Ids bound now. */
    int size() {
        return unevicted != null ? unevicted.size() : keys.size();
    }

    /** Binds {@code peerId} to {@code key}, or checks it is bound to it already. */
    Outcome bind(String peerId, byte[] key) {
        Map<String, byte[]> map = unevicted != null ? unevicted : keys;
        byte[] bound = map.get(peerId);
        if (bound != null) {
            return Arrays.equals(bound, key) ? Outcome.BOUND : Outcome.TAKEN;
        }
        if (store != null) {
            if (map.size() >= storeMax) {
                storeError = "identity store full (" + storeMax + " ids)";
                return Outcome.NOT_KEPT;
            }
            try {
                store.bound(peerId, key.clone());
            } catch (java.io.IOException | RuntimeException e) {
                storeError = "identity store failed: " + e.getMessage();
                return Outcome.NOT_KEPT;
            }
        }
        map.put(peerId, key.clone());
        return Outcome.BOUND;
    }

    /** Seals (or opens: XOR) a session key for the peer with this identity key. */
    byte[] sealSessionKey(byte[] peerKey, byte[] sessionKey, byte[] transactionId) {
        return xor(sessionKey, pad(sharedWith(peerKey), transactionId));
    }

    static byte[] pad(byte[] shared, byte[] transactionId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(shared, "HmacSHA256"));
            mac.update("p2pnat session key".getBytes(StandardCharsets.US_ASCII));
            return mac.doFinal(transactionId);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] xor(byte[] key, byte[] pad) {
        byte[] out = new byte[key.length];
        for (int i = 0; i < key.length; i++) {
            out[i] = (byte) (key[i] ^ pad[i % pad.length]);
        }
        return out;
    }

    /** The proof a peer computes: HMAC-SHA256(DH shared secret, cookie || id). */
    static byte[] proof(byte[] shared, byte[] cookie, String peerId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(shared, "HmacSHA256"));
            mac.update(cookie);
            return mac.doFinal(peerId.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** For peers: the proof of {@code identity} for this server key, cookie and id. */
    static byte[] proofFor(Identity identity, byte[] serverKey, byte[] cookie, String peerId) {
        return proof(identity.agree(serverKey), cookie, peerId);
    }
}
