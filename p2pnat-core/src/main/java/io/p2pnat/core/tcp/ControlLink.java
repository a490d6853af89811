package io.p2pnat.core.tcp;

import io.p2pnat.core.Endpoints;
import io.p2pnat.core.Timers;
import io.p2pnat.core.stream.StreamFramer;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.function.LongSupplier;

/**
 * The {@link TcpEngine}'s connection to the server from the punching port: REGISTER (signed by
 * the agent's session key, with our private TCP endpoints), a KEEPALIVE every 15 s after each
 * authentic answer, a new connection 5 s after one is lost or cannot be opened.
 */
final class ControlLink {
    static final long KEEPALIVE = 15_000_000_000L;
    static final long RECONNECT = 5_000_000_000L;

    private final int port;
    private final InetSocketAddress server;
    private final List<InetSocketAddress> privateEndpoints;
    private final String localId;
    private final TcpServerLink link;
    private final Random random;
    private final Queue<TcpCommand> out;
    private final LongSupplier ids;
    /** One framer for every connection, as both drivers always had it. */
    private final StreamFramer decoder = new StreamFramer(StreamFramer.Mode.STUN);
    private long streamId = -1;
    private boolean connected;
    private TransactionId registerTid;
    private long keepaliveDue = Timers.NEVER;
    private long reconnectDue = Timers.NEVER;

    ControlLink(int port, InetSocketAddress server, List<InetSocketAddress> privateEndpoints, String localId,
                TcpServerLink link, Random random, Queue<TcpCommand> out, LongSupplier ids) {
        this.port = port;
        this.server = server;
        this.privateEndpoints = privateEndpoints;
        this.localId = localId;
        this.link = link;
        this.random = random;
        this.out = out;
        this.ids = ids;
    }

    /** True if {@code id} is the control connection's stream. */
    boolean is(long id) {
        return id >= 0 && id == streamId;
    }

    void connect() {
        streamId = ids.getAsLong();
        connected = false;
        out.add(new TcpCommand.Connect(streamId, TcpCommand.Purpose.CONTROL, port, server));
    }

    void connected() {
        connected = true;
        send(StunMethod.REGISTER);
    }

    void connectFailed(long now, String why) {
        streamId = -1;
        connected = false;
        out.add(new TcpCommand.RegistrationFailed("cannot open TCP to " + Endpoints.format(server) + ": " + why, null));
        reconnectDue = now + RECONNECT;
    }

    void lost(long now) {
        out.add(new TcpCommand.Close(streamId));
        streamId = -1;
        connected = false;
        out.add(new TcpCommand.RegistrationFailed("the server closed the TCP connection (no TCP support?)", null));
        reconnectDue = now + RECONNECT;
    }

    void data(long now, byte[] bytes, int off, int len) {
        decoder.feed(bytes, off, len);
        try {
            byte[] raw;
            while ((raw = decoder.next()) != null) {
                onMessage(now, StunMessage.decode(raw));
            }
        } catch (StreamFramer.StreamFormatException | StunParseException e) {
            lost(now);
        }
    }

    private void onMessage(long now, StunMessage m) {
        boolean authentic = link.fromServer(m);
        if (m.method() == StunMethod.REGISTER && m.transactionId().equals(registerTid)) {
            if (m.messageClass() == StunClass.SUCCESS_RESPONSE && authentic) {
                InetSocketAddress mapped = m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElse(null);
                link.setTcpEndpoints(mapped, privateEndpoints);
                keepaliveDue = now + KEEPALIVE;
                out.add(new TcpCommand.Registered(mapped));
            } else if (m.messageClass() == StunClass.ERROR_RESPONSE) {
                String refusal = m.errorCode().orElse(0) + " " + m.errorReason().orElse("");
                out.add(new TcpCommand.RegistrationFailed("server refused TCP registration: " + refusal, refusal));
            }
        } else if (m.method() == StunMethod.KEEPALIVE && authentic) {
            keepaliveDue = now + KEEPALIVE;
        }
    }

    private void send(int method) {
        if (!connected) {
            return;
        }
        TransactionId tid = TransactionId.random(random);
        StunMessage.Builder b = StunMessage.builder(method, StunClass.REQUEST, tid)
                .addString(StunAttributeType.PEER_ID, localId);
        if (method == StunMethod.REGISTER) {
            privateEndpoints.forEach(p -> b.addXorAddress(StunAttributeType.TCP_PRIVATE_ENDPOINT, p));
            registerTid = tid;
        }
        byte[] bytes = link.signForServer(b);
        if (bytes != null) {
            out.add(new TcpCommand.Write(streamId, bytes));
        }
    }

    void timeout(long now) {
        if (now >= keepaliveDue) {
            keepaliveDue = Timers.NEVER;
            send(StunMethod.KEEPALIVE);
        }
        if (now >= reconnectDue) {
            reconnectDue = Timers.NEVER;
            connect();
        }
    }

    long nextTimeout() {
        return Math.min(keepaliveDue, reconnectDue);
    }
}
