package io.p2pnat.core.peer;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * What the server tells each side when it introduces two peers (RFC 5128 §3.3): who the other
 * peer is, its endpoints, and per-introduction credentials that authenticate the checks (§6.1).
 *
 * @param introId         identifies this introduction and the session it leads to
 * @param introKey        key for MESSAGE-INTEGRITY on checks
 * @param peerId          the other peer
 * @param dialer          true on the side that asked for the introduction (it nominates the path)
 * @param remotePublic    the other peer's public endpoint as the server saw it
 * @param remotePrivates  the other peer's private endpoints as it reported them
 * @param localPublic     our own public endpoint as the server saw it
 */
public record Introduction(long introId, byte[] introKey, String peerId, boolean dialer,
                           InetSocketAddress remotePublic, List<InetSocketAddress> remotePrivates,
                           InetSocketAddress localPublic) {
    public Introduction {
        introKey = introKey.clone();
        remotePrivates = List.copyOf(remotePrivates);
    }

    /** The other peer is not behind a NAT: its public endpoint is one it registered itself. */
    public boolean remoteIsPublic() {
        return remotePrivates.contains(remotePublic);
    }

    /** Both peers share a public address: probably the same NAT, so private paths may work. */
    public boolean sameNat() {
        return localPublic != null && localPublic.getAddress().equals(remotePublic.getAddress());
    }

    /** Hex form of the id used in USERNAME. */
    public String introIdHex() {
        return String.format("%016x", introId);
    }
}
