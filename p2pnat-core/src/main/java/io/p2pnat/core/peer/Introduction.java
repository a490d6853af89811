package io.p2pnat.core.peer;

import io.p2pnat.core.discovery.FilteringBehaviour;
import io.p2pnat.core.discovery.MappingBehaviour;
import io.p2pnat.core.discovery.PortAllocation;
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
 * @param localPrivates   our own private endpoints
 * @param localMapping    our NAT's mapping behaviour as we measured it
 * @param remoteMapping   the other peer's NAT mapping class, as it reported it
 * @param localNat        our NAT's measured behaviour
 * @param remoteNat       the other peer's NAT behaviour, as it reported it
 * @param remoteKey       the other peer's identity public key as the server bound it, or null
 * @param localFiltering  our NAT's filtering as we measured it
 * @param remoteFiltering the other peer's NAT filtering, as it reported it
 */
public record Introduction(long introId, byte[] introKey, String peerId, boolean dialer,
                           InetSocketAddress remotePublic, List<InetSocketAddress> remotePrivates,
                           InetSocketAddress localPublic, List<InetSocketAddress> localPrivates,
                           MappingBehaviour localMapping, MappingBehaviour remoteMapping, NatProfile localNat,
                           NatProfile remoteNat, byte[] remoteKey, FilteringBehaviour localFiltering,
                           FilteringBehaviour remoteFiltering) {
    public Introduction {
        introKey = introKey.clone();
        remotePrivates = List.copyOf(remotePrivates);
        localPrivates = List.copyOf(localPrivates);
        remoteKey = remoteKey == null ? null : remoteKey.clone();
    }

    /** Without knowledge of either NAT's filtering. */
    public Introduction(long introId, byte[] introKey, String peerId, boolean dialer,
                        InetSocketAddress remotePublic, List<InetSocketAddress> remotePrivates,
                        InetSocketAddress localPublic, List<InetSocketAddress> localPrivates,
                        MappingBehaviour localMapping, MappingBehaviour remoteMapping, NatProfile localNat,
                        NatProfile remoteNat, byte[] remoteKey) {
        this(introId, introKey, peerId, dialer, remotePublic, remotePrivates, localPublic, localPrivates,
                localMapping, remoteMapping, localNat, remoteNat, remoteKey,
                FilteringBehaviour.UNKNOWN, FilteringBehaviour.UNKNOWN);
    }

    /** Without the peer's identity key. */
    public Introduction(long introId, byte[] introKey, String peerId, boolean dialer,
                        InetSocketAddress remotePublic, List<InetSocketAddress> remotePrivates,
                        InetSocketAddress localPublic, List<InetSocketAddress> localPrivates,
                        MappingBehaviour localMapping, MappingBehaviour remoteMapping, NatProfile localNat,
                        NatProfile remoteNat) {
        this(introId, introKey, peerId, dialer, remotePublic, remotePrivates, localPublic, localPrivates,
                localMapping, remoteMapping, localNat, remoteNat, null);
    }

    /** Without port allocation knowledge. */
    public Introduction(long introId, byte[] introKey, String peerId, boolean dialer,
                        InetSocketAddress remotePublic, List<InetSocketAddress> remotePrivates,
                        InetSocketAddress localPublic, List<InetSocketAddress> localPrivates,
                        MappingBehaviour localMapping, MappingBehaviour remoteMapping) {
        this(introId, introKey, peerId, dialer, remotePublic, remotePrivates, localPublic, localPrivates,
                localMapping, remoteMapping, new NatProfile(localMapping, PortAllocation.UNKNOWN, 0, 0),
                new NatProfile(remoteMapping, PortAllocation.UNKNOWN, 0, 0));
    }

    /** An introduction without knowledge of our own endpoints or either NAT's behaviour. */
    public Introduction(long introId, byte[] introKey, String peerId, boolean dialer,
                        InetSocketAddress remotePublic, List<InetSocketAddress> remotePrivates,
                        InetSocketAddress localPublic) {
        this(introId, introKey, peerId, dialer, remotePublic, remotePrivates, localPublic, List.of(),
                MappingBehaviour.UNKNOWN, MappingBehaviour.UNKNOWN);
    }

    /** We are not behind a NAT: the server saw us at an endpoint we registered ourselves. */
    public boolean localIsPublic() {
        return localPublic != null && localPrivates.contains(localPublic);
    }

    /**
     * Both NATs map per destination (RFC 4787 §4.1) and neither allocates predictably: no direct
     * path can be found, so the relay should carry the session at once.
     */
    public boolean bothMappingsDependent() {
        // Two sequential NATs can still meet by prediction (both sides predict in step); any
        // other per-destination pair has no direct path (RFC 5128 §5).
        return localMapping.dependent() && remoteMapping.dependent()
                && !(localNat.predictable() && remoteNat.predictable());
    }

    /**
     * We are behind a random-port per-destination NAT and the peer behind an endpoint-independent
     * one. Not when the peer is on the internet itself: no NAT filters our plain checks there
     * (it does not probe either), and a spray would only open 256 mappings of ours toward it.
     */
    public boolean birthdayHardSide() {
        return localNat.hardRandom() && remoteNat.easy() && !sameNat() && !remoteIsPublic()
                && !admitsAnyPort(remoteFiltering);
    }

    /** The peer is behind a random-port per-destination NAT and we are behind an endpoint-independent one. */
    public boolean birthdayEasySide() {
        return remoteNat.hardRandom() && localNat.easy() && !sameNat() && !localIsPublic()
                && !admitsAnyPort(localFiltering);
    }

    /**
     * A NAT whose filtering admits any port of an address it sent to (endpoint-independent or
     * address-dependent, RFC 4787 §5): the random-port side's plain checks get through it once
     * the easy side has sent to that side's address, so birthday punching is not needed.
     */
    private static boolean admitsAnyPort(FilteringBehaviour filtering) {
        return filtering == FilteringBehaviour.ENDPOINT_INDEPENDENT || filtering == FilteringBehaviour.ADDRESS_DEPENDENT;
    }

    /**
     * The easy side's NAT is known to filter by port (RFC 4787 §5 address-and-port-dependent):
     * plain punching against a random-port NAT cannot work, so a birthday punch starts at once
     * instead of giving plain punching a head start.
     */
    public boolean birthdayCertain() {
        FilteringBehaviour easyFiltering = birthdayHardSide() ? remoteFiltering : localFiltering;
        return easyFiltering == FilteringBehaviour.ADDRESS_AND_PORT_DEPENDENT;
    }

    /**
     * The technique a direct path between us amounts to: hole punching when both are behind
     * NATs, connection reversal (§3.2) when only the listener is, direct when the listener is
     * public.
     */
    public Technique directTechnique() {
        boolean dialerPublic = dialer ? localIsPublic() : remoteIsPublic();
        boolean listenerPublic = dialer ? remoteIsPublic() : localIsPublic();
        if (listenerPublic) {
            return Technique.DIRECT;
        }
        return dialerPublic ? Technique.CONNECTION_REVERSAL : Technique.UDP_HOLE_PUNCH;
    }

    /** The other peer is not behind a NAT: its public endpoint is one it registered itself. */
    public boolean remoteIsPublic() {
        return remotePrivates.contains(remotePublic);
    }

    /** Both peers share a public address: probably the same NAT, so private paths may work. */
    public boolean sameNat() {
        return localPublic != null && localPublic.getAddress().equals(remotePublic.getAddress());
    }

    /** The introduction id a check's USERNAME ("16 hex digits:sender") names, or empty. */
    public static java.util.OptionalLong idFromUsername(String user) {
        if (user == null || user.indexOf(':') != 16) {
            return java.util.OptionalLong.empty();
        }
        try {
            return java.util.OptionalLong.of(Long.parseUnsignedLong(user.substring(0, 16), 16));
        } catch (NumberFormatException e) {
            return java.util.OptionalLong.empty();
        }
    }

    /** Hex form of the id used in USERNAME. */
    public String introIdHex() {
        return java.util.HexFormat.of().toHexDigits(introId); // String.format costs microseconds per check
    }
}
