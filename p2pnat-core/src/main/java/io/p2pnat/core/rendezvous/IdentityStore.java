package io.p2pnat.core.rendezvous;

import java.io.IOException;
import java.util.Map;

/**
 * Where a rendezvous server keeps its peer-id-to-identity-key bindings across restarts
 * (RFC 5128 §6.3). Without one, a restarted server forgets who "bob" is, and whoever registers
 * "bob" first afterwards gets the id and the introductions of dialers that pin no key. The
 * service stays sans-I/O: the driver hands it a store; a file store is in p2pnat-server.
 */
public interface IdentityStore {
    /**
     * Every binding kept so far (the id's first key; no id twice).
     *
     * @throws IOException if the store cannot be read or is malformed (the message says where)
     */
    Map<String, byte[]> load() throws IOException;

    /**
     * Keeps a new binding. Called before the registration that made it is answered; when it
     * throws, the registration is refused and nothing is bound.
     *
     * @throws IOException if the binding could not be kept
     */
    void bound(String peerId, byte[] key) throws IOException;
}
