package io.p2pnat.core.turn;

import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * A TURN client (RFC 8656) over UDP, or over TCP to the server ({@link #overTcp()}), as a sans-I/O
 * state machine: one allocation on one server.
 *
 * <ul>
 *   <li>§7.1 Allocate with the long-term credential dance (RFC 8489 §9.2.3): the first request
 *       carries no credentials, the 401 brings REALM and NONCE, the request is repeated with
 *       USERNAME, REALM, NONCE and MESSAGE-INTEGRITY; a 438 brings a new NONCE and the request is
 *       repeated.</li>
 *   <li>§8.1 Refresh ("refresh the allocation roughly 1 minute before it expires"; LIFETIME 0
 *       deletes), §10.1 CreatePermission (refreshed every 4 minutes, permissions last 5), §12.1
 *       ChannelBind (re-bound every 9 minutes, bindings last 10).</li>
 *   <li>§11.1 Send indications and §12.5 ChannelData out, §11.4 Data indications and §12.6
 *       ChannelData in. Sending to a peer needs a permission for its IP, which the caller asks for.</li>
 * </ul>
 * Requests are retransmitted as RFC 8489 §6.2.1 says ({@link ClientTransactions}). The first
 * Allocate is padded (a long SOFTWARE) so that servers which, like ours, never answer an
 * unauthenticated request with more bytes than it carried can afford their 401.
 */
public final class TurnClient {
    private static final String SOFTWARE = "p2pnat TURN client (RFC 8656 over UDP)";
    private static final long PERMISSION_REFRESH = 240_000_000_000L;
    private static final long CHANNEL_REFRESH = 540_000_000_000L;

    private final InetSocketAddress server;
    private final String username;
    private final String password;
    private final Random random;
    private final ClientTransactions transactions = new ClientTransactions();
    private final ArrayDeque<Transmit> out = new ArrayDeque<>();
    private final ArrayDeque<TurnClientEvent> events = new ArrayDeque<>();
    private final Map<InetAddress, Long> permissionRefresh = new LinkedHashMap<>();
    private final Map<InetSocketAddress, Integer> channelsByPeer = new HashMap<>();
    private final Map<Integer, InetSocketAddress> peersByChannel = new HashMap<>();
    private final Map<Integer, Long> channelRefresh = new HashMap<>();
    private String realm;
    private String nonce;
    private byte[] key;
    private InetSocketAddress relayed;
    private InetSocketAddress mapped;
    private long refreshAt = Timers.NEVER;
    private int nextChannel = TurnLimits.CHANNEL_MIN;
    private boolean stream;

    public TurnClient(InetSocketAddress server, String username, String password, Random random) {
        this.server = Objects.requireNonNull(server, "server");
        this.username = Objects.requireNonNull(username, "username");
        this.password = Objects.requireNonNull(password, "password");
        this.random = Objects.requireNonNull(random, "random");
    }

    /**
     * Talks to the server over a TCP connection (RFC 8656 §3.1) instead of UDP: each
     * {@link Transmit} is one message for the stream, ChannelData padded to a multiple of four
     * bytes (§12.5), and requests are not retransmitted (RFC 8489 §6.2.2). The driver splits
     * the incoming stream into messages and feeds them to {@link #handleInput} one by one.
     * Call before anything else.
     */
    public TurnClient overTcp() {
        stream = true;
        transactions.reliable = true;
        return this;
    }

    /** Whether {@link #overTcp()} was called. */
    public boolean isOverTcp() {
        return stream;
    }

    /** Asks for an allocation (UDP relay, the server's default lifetime). */
    public void allocate(long now) {
        start(now, StunMethod.ALLOCATE, id -> StunMessage.builder(StunMethod.ALLOCATE, StunClass.REQUEST, id)
                .addAttribute(StunAttributeType.REQUESTED_TRANSPORT, new byte[] {TurnLimits.PROTOCOL_UDP, 0, 0, 0})
                .addString(StunAttributeType.SOFTWARE, SOFTWARE), null);
    }

    /** Refreshes the allocation for {@code lifetimeSeconds}; 0 deletes it. */
    public void refresh(long now, long lifetimeSeconds) {
        start(now, StunMethod.REFRESH, id -> StunMessage.builder(StunMethod.REFRESH, StunClass.REQUEST, id)
                .addUint32(StunAttributeType.LIFETIME, lifetimeSeconds)
                .addString(StunAttributeType.SOFTWARE, SOFTWARE), lifetimeSeconds);
    }

    /** Installs permissions for these peers' IP addresses (and keeps them refreshed). */
    public void createPermission(long now, InetAddress... peers) {
        List<InetAddress> list = List.of(peers);
        for (InetAddress p : list) {
            permissionRefresh.put(p, now + PERMISSION_REFRESH);
        }
        sendCreatePermission(now, list);
    }

    /** Binds a fresh channel to {@code peer} (installing its permission too); returns the number. */
    public int bindChannel(long now, InetSocketAddress peer) {
        Integer existing = channelsByPeer.get(peer);
        int number = existing != null ? existing : nextChannel++;
        if (number > TurnLimits.CHANNEL_MAX) {
            throw new IllegalStateException("all 4096 channel numbers are used");
        }
        sendChannelBind(now, number, peer);
        return number;
    }

    /** Sends {@code data} to {@code peer}: as ChannelData if a channel is bound to it, else in a Send indication. */
    public void send(InetSocketAddress peer, byte[] data) {
        Integer channel = channelsByPeer.get(peer);
        if (channel != null && channelRefresh.containsKey(channel)) {
            out.add(new Transmit(server, ChannelData.encode(channel, data, 0, data.length, stream)));
            return;
        }
        byte[] bytes = StunMessage.builder(StunMethod.SEND, StunClass.INDICATION, TransactionId.random(random))
                .addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, peer)
                .addAttribute(StunAttributeType.DATA, data)
                .build().encode();
        out.add(new Transmit(server, bytes));
    }

    /** Handles a datagram received from {@code from}; anything not from the server is ignored. */
    public void handleInput(long now, InetSocketAddress from, byte[] buf, int off, int len) {
        if (!server.equals(from)) {
            return;
        }
        if (ChannelData.looksLikeChannelData(buf, off, len)) {
            int number = ChannelData.channel(buf, off, len);
            InetSocketAddress peer = number < 0 ? null : peersByChannel.get(number);
            if (peer != null) {
                byte[] data = new byte[ChannelData.dataLength(buf, off)];
                System.arraycopy(buf, off + ChannelData.HEADER, data, 0, data.length);
                events.add(new TurnClientEvent.Data(peer, data));
            }
            return;
        }
        StunMessage m;
        try {
            m = StunMessage.decode(buf, off, len);
        } catch (StunParseException e) {
            return;
        }
        if (m.messageClass() == StunClass.INDICATION && m.method() == StunMethod.DATA) {
            InetSocketAddress peer = m.xorAddress(StunAttributeType.XOR_PEER_ADDRESS).orElse(null);
            byte[] data = m.bytes(StunAttributeType.DATA).orElse(null);
            if (peer != null && data != null) {
                events.add(new TurnClientEvent.Data(peer, data));
            }
        } else if (m.messageClass().isResponse()) {
            onResponse(now, m);
        }
    }

    /** Retransmits, gives up, and refreshes what needs refreshing. */
    public void handleTimeout(long now) {
        List<ClientTransactions.Tx> resend = new ArrayList<>();
        for (ClientTransactions.Tx tx : transactions.due(now, resend)) {
            events.add(new TurnClientEvent.Failed(tx.method, 408, "Request timed out"));
        }
        for (ClientTransactions.Tx tx : resend) {
            out.add(new Transmit(server, tx.bytes));
        }
        if (relayed == null) {
            return;
        }
        if (now >= refreshAt && !transactions.hasPending(StunMethod.REFRESH)) {
            refreshAt = Timers.NEVER;
            refresh(now, TurnLimits.DEFAULT_LIFETIME.toSeconds());
        }
        List<InetAddress> due = new ArrayList<>();
        for (Map.Entry<InetAddress, Long> e : permissionRefresh.entrySet()) {
            if (now >= e.getValue()) {
                due.add(e.getKey());
                e.setValue(now + PERMISSION_REFRESH);
            }
        }
        if (!due.isEmpty()) {
            sendCreatePermission(now, due);
        }
        for (Map.Entry<Integer, Long> e : new ArrayList<>(channelRefresh.entrySet())) {
            if (now >= e.getValue()) {
                channelRefresh.put(e.getKey(), now + CHANNEL_REFRESH);
                sendChannelBind(now, e.getKey(), peersByChannel.get(e.getKey()));
            }
        }
    }

    public long nextTimeout() {
        long next = Math.min(transactions.nextTimeout(), relayed == null ? Timers.NEVER : refreshAt);
        if (relayed != null) {
            for (long t : permissionRefresh.values()) {
                next = Math.min(next, t);
            }
            for (long t : channelRefresh.values()) {
                next = Math.min(next, t);
            }
        }
        return next;
    }

    public Transmit pollTransmit() {
        return out.poll();
    }

    public TurnClientEvent pollEvent() {
        return events.poll();
    }

    /** The relayed transport address, or null before the allocation (or after its deletion). */
    public InetSocketAddress relayedAddress() {
        return relayed;
    }

    /** The client's server-reflexive address as the server saw it, or null. */
    public InetSocketAddress mappedAddress() {
        return mapped;
    }

    public InetSocketAddress server() {
        return server;
    }

    // ---- internals

    private void sendCreatePermission(long now, List<InetAddress> peers) {
        start(now, StunMethod.CREATE_PERMISSION, id -> {
            StunMessage.Builder b = StunMessage.builder(StunMethod.CREATE_PERMISSION, StunClass.REQUEST, id);
            for (InetAddress p : peers) {
                b.addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, new InetSocketAddress(p, 0));
            }
            return b;
        }, List.copyOf(peers));
    }

    private void sendChannelBind(long now, int number, InetSocketAddress peer) {
        channelsByPeer.put(peer, number);
        peersByChannel.put(number, peer);
        start(now, StunMethod.CHANNEL_BIND, id -> StunMessage.builder(StunMethod.CHANNEL_BIND, StunClass.REQUEST, id)
                .addUint32(StunAttributeType.CHANNEL_NUMBER, (long) number << 16)
                .addXorAddress(StunAttributeType.XOR_PEER_ADDRESS, peer), number);
    }

    private void start(long now, int method, ClientTransactions.Template template, Object context) {
        ClientTransactions.Tx tx = new ClientTransactions.Tx(method, template, context);
        send(now, tx);
    }

    private void send(long now, ClientTransactions.Tx tx) {
        TransactionId id = TransactionId.random(random);
        StunMessage.Builder b = tx.template.build(id);
        if (key != null) {
            b.addString(StunAttributeType.USERNAME, username)
                    .addString(StunAttributeType.REALM, realm)
                    .addString(StunAttributeType.NONCE, nonce);
        }
        byte[] bytes = b.build().encode(key, true);
        transactions.start(tx, id, bytes, now);
        out.add(new Transmit(server, bytes));
    }

    private void onResponse(long now, StunMessage m) {
        ClientTransactions.Tx tx = transactions.complete(m.transactionId());
        if (tx == null) {
            return;
        }
        if (m.messageClass() == StunClass.ERROR_RESPONSE) {
            onError(now, tx, m);
            return;
        }
        if (key == null || !m.checkIntegrity(key)) {
            return; // RFC 8489 §9.2.5: a response without valid integrity is discarded
        }
        switch (tx.method) {
            case StunMethod.ALLOCATE -> {
                relayed = m.xorAddress(StunAttributeType.XOR_RELAYED_ADDRESS).orElse(null);
                mapped = m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElse(null);
                long lifetime = m.uint32(StunAttributeType.LIFETIME).orElse(TurnLimits.DEFAULT_LIFETIME.toSeconds());
                scheduleRefresh(now, lifetime);
                events.add(new TurnClientEvent.Allocated(relayed, mapped, lifetime));
            }
            case StunMethod.REFRESH -> {
                long lifetime = m.uint32(StunAttributeType.LIFETIME).orElse(0);
                if (lifetime == 0) {
                    deleted();
                } else {
                    scheduleRefresh(now, lifetime);
                    events.add(new TurnClientEvent.Refreshed(lifetime));
                }
            }
            case StunMethod.CREATE_PERMISSION -> {
                @SuppressWarnings("unchecked")
                List<InetAddress> peers = (List<InetAddress>) tx.context;
                events.add(new TurnClientEvent.PermissionsCreated(peers));
            }
            default -> {
                int number = (Integer) tx.context;
                channelRefresh.put(number, now + CHANNEL_REFRESH);
                events.add(new TurnClientEvent.ChannelBound(number, peersByChannel.get(number)));
            }
        }
    }

    private void onError(long now, ClientTransactions.Tx tx, StunMessage m) {
        int code = m.errorCode().orElse(0);
        String newRealm = m.string(StunAttributeType.REALM).orElse(null);
        String newNonce = m.string(StunAttributeType.NONCE).orElse(null);
        boolean firstChallenge = code == TurnLimits.UNAUTHORIZED && key == null;
        if ((firstChallenge || code == TurnLimits.STALE_NONCE) && newRealm != null && newNonce != null
                && tx.authRetries < 3) {
            realm = newRealm;
            nonce = newNonce;
            key = StunMessage.longTermKey(username, realm, password);
            tx.authRetries++;
            send(now, tx);
            return;
        }
        if (code == TurnLimits.ALLOCATION_MISMATCH && tx.method == StunMethod.REFRESH) {
            deleted(); // §8.3: the allocation no longer exists (for a delete, that is success)
            return;
        }
        events.add(new TurnClientEvent.Failed(tx.method, code, m.errorReason().orElse("")));
    }

    private void scheduleRefresh(long now, long lifetimeSeconds) {
        long lead = lifetimeSeconds > 120 ? 60 : lifetimeSeconds / 2;
        refreshAt = now + (lifetimeSeconds - lead) * 1_000_000_000L;
    }

    private void deleted() {
        relayed = null;
        refreshAt = Timers.NEVER;
        permissionRefresh.clear();
        channelRefresh.clear();
        events.add(new TurnClientEvent.Deleted());
    }
}
