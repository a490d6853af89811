package io.p2pnat.core.turn;

import io.p2pnat.core.Timers;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

/**
 * A TURN server (RFC 8656) over UDP, and over TCP between client and server, as a sans-I/O
 * state machine. Feed it datagrams from clients ({@link #handleClientInput}), messages from
 * clients' TCP connections ({@link #handleStreamInput}, {@link #streamClosed}), datagrams that arrived on relay ports ({@link #handleRelayInput}),
 * the outcome of opening relay ports ({@link #relayOpened}) and time ({@link #handleTimeout}); poll
 * {@link TurnOutput}s: datagrams to clients, datagrams to peers from a relay port, relay ports to
 * open and close. No sockets, threads or clocks inside.
 *
 * <ul>
 *   <li>§5 General Behavior: requests need the long-term credential mechanism ({@link LongTermAuth});
 *       "if the 5-tuple does not identify an existing allocation, then the message MUST either be
 *       rejected with a 437 Allocation Mismatch error (if it is a request) or be silently ignored
 *       (if it is an indication or a ChannelData message)"; a request using another username than
 *       the allocation's gets 441.</li>
 *   <li>§7 Allocate, §8 Refresh: {@link AllocationRequests}. §10 CreatePermission, §12.2
 *       ChannelBind: {@link PeerRequests}.</li>
 *   <li>§11.2 Send indications and §12.6 ChannelData from the client are relayed to the peer only
 *       if a permission for its IP address is installed; otherwise dropped.</li>
 *   <li>§11.3 and §12.7: a datagram arriving on a relay port is relayed only if a permission for
 *       its source IP exists ("If no match is found, relaying is not permitted and the server
 *       silently discards the UDP datagram"), as ChannelData if a channel is bound to the peer,
 *       else as a Data indication.</li>
 *   <li>§9, §12: permissions live 300 s, channels 600 s, allocations their granted lifetime, all on
 *       the injected clock; ChannelData and data "MUST NOT refresh" them.</li>
 * </ul>
 * Nothing is kept for a client before its request passes authentication, and answers to
 * unauthenticated requests are never larger than the request (see {@link TurnReplies}).
 */
public final class TurnService {
    private final TurnConfig config;
    private final ArrayDeque<TurnOutput> out = new ArrayDeque<>();
    private final TurnStats stats = new TurnStats();
    private final AllocationTable table = new AllocationTable();
    private final PeerPolicy policy;
    private final LongTermAuth auth;
    private final TurnReplies replies;
    private final AllocationRequests allocations;
    private final PeerRequests peers;
    private final SplittableRandom fastRandom;

    /**
     * @param credentials where usernames are looked up
     * @param random      source of the nonce secret, relay port choice and reservation tokens: a
     *                    SecureRandom in production, a seeded Random in tests
     * @param unixSeconds the wall clock (Unix seconds), for time-limited credentials only
     */
    public TurnService(TurnConfig config, TurnCredentials credentials, Random random, LongSupplier unixSeconds) {
        this.config = config;
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        this.auth = new LongTermAuth(config.realm(), credentials, new Nonces(secret), unixSeconds);
        this.policy = new PeerPolicy(config.relayAddress(), config.allowLoopbackPeers());
        this.replies = new TurnReplies(config, out, stats);
        this.allocations = new AllocationRequests(config, table, new PortPool(config.minPort(), config.maxPort(), random),
                replies, out, stats, random);
        this.peers = new PeerRequests(config, policy, table, replies);
        this.fastRandom = new SplittableRandom(random.nextLong());
    }

    /** The ports the server listens on: peers may not be these ports on the relay or loopback address. */
    public void setServerPorts(int... ports) {
        policy.setServerPorts(ports);
    }

    public TurnConfig config() {
        return config;
    }

    /** Handles a datagram from a client on the server's listening socket: STUN (a TURN method) or ChannelData. */
    public void handleClientInput(long now, InetSocketAddress from, byte[] buf, int off, int len) {
        input(now, from, false, buf, off, len);
    }

    /**
     * Handles one message (STUN, or ChannelData with its padding) that a client sent over its TCP
     * connection to the server (RFC 8656 §3.1: "TURN over TCP"); {@code from} is the connection's
     * remote address. Its allocation is another 5-tuple than a UDP client's at the same address,
     * and answers go back on the connection ({@link TurnOutput.ToClient#stream}). The driver
     * splits the byte stream into messages (§12.5: STUN messages are self-delimiting, ChannelData
     * is padded to four bytes).
     */
    public void handleStreamInput(long now, InetSocketAddress from, byte[] buf, int off, int len) {
        input(now, from, true, buf, off, len);
    }

    /**
     * The TCP connection from {@code from} ended: its allocation goes with it (its 5-tuple no
     * longer exists, so nothing could refresh or use it) and the relay port is released.
     */
    public void streamClosed(long now, InetSocketAddress from) {
        Allocation a = table.byClient(from, true);
        if (a != null) {
            allocations.delete(a);
            stats.allocationsClosed++;
        }
    }

    /** Whether the TCP connection from {@code from} holds a live allocation (or one being made). */
    public boolean hasStreamAllocation(long now, InetSocketAddress from) {
        Allocation a = table.byClient(from, true);
        return a != null && now < a.expiresAt;
    }

    private void input(long now, InetSocketAddress from, boolean stream, byte[] buf, int off, int len) {
        if (ChannelData.looksLikeChannelData(buf, off, len)) {
            onChannelData(now, from, stream, buf, off, len);
            return;
        }
        StunMessage m;
        try {
            m = StunMessage.decode(buf, off, len);
        } catch (StunParseException e) {
            stats.dropped++;
            return;
        }
        if (m.messageClass() == StunClass.REQUEST) {
            stats.requests++;
            onRequest(now, from, stream, m, len);
        } else if (m.messageClass() == StunClass.INDICATION && m.method() == StunMethod.SEND) {
            onSend(now, from, stream, m);
        } else {
            stats.dropped++;
        }
    }

    /** Handles a datagram that arrived on relay port {@code relayPort} from {@code from}. */
    public void handleRelayInput(long now, int relayPort, InetSocketAddress from, byte[] buf, int off, int len) {
        Allocation a = relayPort >= 0 && relayPort <= 65535 ? table.byPort(relayPort) : null;
        if (a == null || !a.isLive(now)) {
            stats.dropped++;
            return;
        }
        if (!a.hasPermission(from.getAddress(), now)) {
            stats.permissionDrops++;
            return;
        }
        Allocation.Channel c = a.channelTo(from, now);
        byte[] bytes;
        if (c != null) {
            bytes = ChannelData.encode(c.number, buf, off, len, a.stream);
        } else {
            byte[] data = new byte[len];
            System.arraycopy(buf, off, data, 0, len);
            bytes = StunMessage.builder(StunMethod.DATA, StunClass.INDICATION, transactionId())
                    .addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, from)
                    .addAttribute(StunAttributeType.DATA, data)
                    .build().encode();
        }
        stats.toClientPackets++;
        stats.toClientBytes += len;
        out.add(new TurnOutput.ToClient(a.client, bytes, a.stream));
    }

    /** The driver opened (ok) or could not open the relay socket asked for by {@link TurnOutput.OpenRelay}. */
    public void relayOpened(long now, int relayPort, boolean ok) {
        allocations.relayOpened(relayPort, ok, now);
    }

    /** Expires allocations, permissions, channels and reservations due at {@code now}. */
    public void handleTimeout(long now) {
        if (now < table.nextSweep()) {
            return;
        }
        List<Integer> released = new ArrayList<>();
        for (Allocation a : table.sweep(now, released)) {
            allocations.release(a);
            stats.allocationsExpired++;
        }
        for (int port : released) {
            allocations.releasePort(port);
        }
    }

    /** When {@link #handleTimeout} next needs calling, or {@link Timers#NEVER}. */
    public long nextTimeout() {
        return table.nextSweep();
    }

    /** The next output, or null. */
    public TurnOutput poll() {
        return out.poll();
    }

    public TurnStats stats() {
        return stats;
    }

    /** Allocations held (including those whose relay port is being opened). */
    public int allocationCount() {
        return table.size();
    }

    // ---- handlers

    private void onRequest(long now, InetSocketAddress from, boolean stream, StunMessage m, int len) {
        int method = m.method();
        if (method != StunMethod.ALLOCATE && method != StunMethod.REFRESH
                && method != StunMethod.CREATE_PERMISSION && method != StunMethod.CHANNEL_BIND) {
            replies.unauthenticatedError(now, m, from, stream, len, TurnLimits.BAD_REQUEST); // e.g. RFC 6062's methods
            return;
        }
        LongTermAuth.Result result = auth.check(m, from, now);
        if (!result.ok()) {
            if (result.error() == TurnLimits.BAD_REQUEST) {
                replies.unauthenticatedError(now, m, from, stream, len, TurnLimits.BAD_REQUEST);
            } else {
                replies.challenge(now, m, from, stream, len, result.error(), auth.nonce(from, now));
            }
            return;
        }
        TurnRequest r = new TurnRequest(m, from, stream, len, result.credential(), result.username());
        int[] unknown = m.unknownComprehensionRequired();
        if (unknown.length > 0) {
            replies.unknownAttributes(r, unknown);
            return;
        }
        if (method == StunMethod.ALLOCATE) {
            allocations.allocate(r, now, 1);
            return;
        }
        Allocation a = liveAllocation(from, stream, now);
        if (a == null) {
            replies.error(r, TurnLimits.ALLOCATION_MISMATCH);
            return;
        }
        if (!a.username.equals(result.username())) {
            replies.error(r, TurnLimits.WRONG_CREDENTIALS);
            return;
        }
        switch (method) {
            case StunMethod.REFRESH -> allocations.refresh(r, a, now);
            case StunMethod.CREATE_PERMISSION -> peers.createPermission(r, a, now);
            default -> peers.channelBind(r, a, now);
        }
    }

    /** RFC 8656 §11.2. */
    private void onSend(long now, InetSocketAddress from, boolean stream, StunMessage m) {
        Allocation a = liveAllocation(from, stream, now);
        InetSocketAddress peer = m.xorAddress(StunAttributeType.XOR_PEER_ADDRESS).orElse(null);
        if (a == null || peer == null || !m.has(StunAttributeType.DATA)
                || m.has(StunAttributeType.DONT_FRAGMENT) || m.unknownComprehensionRequired().length > 0
                || policy.forbidden(peer)) {
            stats.dropped++;
            return;
        }
        if (!a.hasPermission(peer.getAddress(), now)) {
            stats.permissionDrops++;
            return;
        }
        byte[] data = m.bytes(StunAttributeType.DATA).orElseThrow();
        toPeer(a, peer, data);
    }

    /** RFC 8656 §12.6. */
    private void onChannelData(long now, InetSocketAddress from, boolean stream, byte[] buf, int off, int len) {
        int number = ChannelData.channel(buf, off, len, config.maxChannelNumber());
        Allocation a = number < 0 ? null : liveAllocation(from, stream, now);
        Allocation.Channel c = a == null ? null : a.channel(number, now);
        if (c == null) {
            stats.dropped++;
            return;
        }
        if (!a.hasPermission(c.peer.getAddress(), now)) {
            stats.permissionDrops++;
            return;
        }
        int dataLen = ChannelData.dataLength(buf, off);
        byte[] data = new byte[dataLen];
        System.arraycopy(buf, off + ChannelData.HEADER, data, 0, dataLen);
        toPeer(a, c.peer, data);
    }

    private void toPeer(Allocation a, InetSocketAddress peer, byte[] data) {
        stats.toPeerPackets++;
        stats.toPeerBytes += data.length;
        out.add(new TurnOutput.ToPeer(a.relayPort, peer, data));
    }

    private Allocation liveAllocation(InetSocketAddress from, boolean stream, long now) {
        Allocation a = table.byClient(from, stream);
        if (a == null || !a.open) {
            return null;
        }
        if (now >= a.expiresAt) {
            allocations.delete(a);
            stats.allocationsExpired++;
            return null;
        }
        return a;
    }

    private TransactionId transactionId() {
        byte[] id = new byte[TransactionId.LENGTH];
        long x = fastRandom.nextLong();
        long y = fastRandom.nextLong();
        for (int i = 0; i < 8; i++) {
            id[i] = (byte) (x >>> (8 * i));
        }
        for (int i = 0; i < 4; i++) {
            id[8 + i] = (byte) (y >>> (8 * i));
        }
        return TransactionId.of(id);
    }
}
