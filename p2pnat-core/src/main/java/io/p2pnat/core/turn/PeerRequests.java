package io.p2pnat.core.turn;

import io.p2pnat.wire.StunAttributeType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * CreatePermission (RFC 8656 §10.2) and ChannelBind (§12.2) on an existing allocation.
 *
 * <p>§10.2: the request must carry at least one XOR-PEER-ADDRESS; a peer of the other address
 * family gets 443; "the server installs or refreshes a permission for the IP address contained in
 * each XOR-PEER-ADDRESS attribute ... The port portion of each attribute is ignored". All or
 * nothing: one refused address refuses the request.
 *
 * <p>§12.2: the request must carry CHANNEL-NUMBER and XOR-PEER-ADDRESS; "The channel number is in
 * the range 0x4000 through 0x4FFF" (0x7FFF with {@link TurnConfig#rfc5766Channels()}); it "is not currently bound to a different transport address";
 * the address "is not currently bound to a different channel number"; otherwise 400. "If the
 * server is unable to fulfill the request due to some capacity limit or similar, the server
 * replies with a 508". A binding also installs or refreshes the permission for the peer's IP.
 */
final class PeerRequests {
    private static final long PERMISSION_NANOS = TurnLimits.PERMISSION_LIFETIME.toNanos();
    private static final long CHANNEL_NANOS = TurnLimits.CHANNEL_LIFETIME.toNanos();

    private final TurnConfig config;
    private final PeerPolicy policy;
    private final AllocationTable table;
    private final TurnReplies replies;

    PeerRequests(TurnConfig config, PeerPolicy policy, AllocationTable table, TurnReplies replies) {
        this.config = config;
        this.policy = policy;
        this.table = table;
        this.replies = replies;
    }

    void createPermission(TurnRequest r, Allocation a, long now) {
        List<InetSocketAddress> peers = r.message().xorAddresses(StunAttributeType.XOR_PEER_ADDRESS);
        if (peers.isEmpty()) {
            replies.error(r, TurnLimits.BAD_REQUEST);
            return;
        }
        Set<InetAddress> fresh = new HashSet<>();
        for (InetSocketAddress p : peers) {
            if (policy.familyMismatch(p)) {
                replies.error(r, TurnLimits.PEER_ADDRESS_FAMILY_MISMATCH);
                return;
            }
            if (policy.forbidden(p.getAddress())) {
                replies.error(r, TurnLimits.FORBIDDEN);
                return;
            }
            if (!a.hasPermissionEntry(p.getAddress())) {
                fresh.add(p.getAddress());
            }
        }
        if (!fresh.isEmpty() && a.permissionCount() + fresh.size() > config.maxPermissions()) {
            a.prune(now);
            if (a.permissionCount() + fresh.size() > config.maxPermissions()) {
                replies.error(r, TurnLimits.INSUFFICIENT_CAPACITY);
                return;
            }
        }
        for (InetSocketAddress p : peers) {
            a.permit(p.getAddress(), now + PERMISSION_NANOS);
        }
        table.schedule(now + PERMISSION_NANOS);
        replies.success(r, replies.successBuilder(r));
    }

    void channelBind(TurnRequest r, Allocation a, long now) {
        byte[] cn = r.message().bytes(StunAttributeType.CHANNEL_NUMBER).orElse(null);
        InetSocketAddress peer = r.message().xorAddress(StunAttributeType.XOR_PEER_ADDRESS).orElse(null);
        if (cn == null || peer == null) {
            replies.error(r, TurnLimits.BAD_REQUEST);
            return;
        }
        int number = ((cn[0] & 0xFF) << 8) | (cn[1] & 0xFF);
        if (number < TurnLimits.CHANNEL_MIN || number > config.maxChannelNumber()) {
            replies.error(r, TurnLimits.BAD_REQUEST);
            return;
        }
        Allocation.Channel byNumber = a.channel(number, now);
        Allocation.Channel byPeer = a.channelTo(peer, now);
        if ((byNumber != null && !byNumber.peer.equals(peer)) || (byPeer != null && byPeer.number != number)) {
            replies.error(r, TurnLimits.BAD_REQUEST);
            return;
        }
        if (policy.familyMismatch(peer)) {
            replies.error(r, TurnLimits.PEER_ADDRESS_FAMILY_MISMATCH);
            return;
        }
        if (policy.forbidden(peer)) {
            replies.error(r, TurnLimits.FORBIDDEN);
            return;
        }
        boolean newChannel = byNumber == null;
        boolean newPermission = !a.hasPermissionEntry(peer.getAddress());
        if ((newChannel && a.channelCount() >= config.maxChannels())
                || (newPermission && a.permissionCount() >= config.maxPermissions())) {
            a.prune(now);
            if ((newChannel && a.channelCount() >= config.maxChannels())
                    || (newPermission && a.permissionCount() >= config.maxPermissions())) {
                replies.error(r, TurnLimits.INSUFFICIENT_CAPACITY);
                return;
            }
        }
        a.bind(number, peer, now + CHANNEL_NANOS);
        a.permit(peer.getAddress(), now + PERMISSION_NANOS);
        table.schedule(now + PERMISSION_NANOS);
        replies.success(r, replies.successBuilder(r));
    }
}
