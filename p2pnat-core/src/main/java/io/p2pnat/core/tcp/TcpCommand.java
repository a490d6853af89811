package io.p2pnat.core.tcp;

import io.p2pnat.core.peer.ConnectionInfo;
import io.p2pnat.core.peer.Introduction;
import java.net.InetSocketAddress;

/** What the {@link TcpEngine} asks its driver to do, or tells it (poll with {@link TcpEngine#poll()}). */
public sealed interface TcpCommand {
    /** What a connection is for. */
    enum Purpose {
        /** The connection to the server that registers our TCP endpoint and is kept alive. */
        CONTROL,
        /** A punching attempt to a candidate of the peer. */
        ATTEMPT,
        /** A connection to the server's stream relay (RELAY-ATTACH). */
        RELAY
    }

    /**
     * Open stream {@code streamId} to {@code remote} from {@code localPort} (the punching port,
     * bound with SO_REUSEADDR and SO_REUSEPORT, RFC 5128 §3.4; 0: any port). Report the result with
     * {@link TcpEngine#connected} or {@link TcpEngine#connectFailed} (after releasing the socket).
     */
    record Connect(long streamId, Purpose purpose, int localPort, InetSocketAddress remote) implements TcpCommand {
    }

    /** Write {@code bytes} on the stream, after what it was given before. */
    record Write(long streamId, byte[] bytes) implements TcpCommand {
    }

    /** The connection is lost or refused by us: release it (a plain close). */
    record Close(long streamId) implements TcpCommand {
    }

    /** Reset the stream (SO_LINGER 0: an RST, no TIME_WAIT); the engine has forgotten it. */
    record Abort(long streamId) implements TcpCommand {
    }

    /**
     * The introduction chose this stream: write what is pending, then the application owns it.
     * The engine has forgotten it. {@code alreadyRead}: bytes read after the stream's setup;
     * {@code early}: the introduction's end-to-end channel and the answer the stream's
     * authentication brought (null without an identity or a peer key).
     */
    record HandOver(long streamId, long dialId, ConnectionInfo info, Introduction intro, EarlyHandshake early,
                    byte[] alreadyRead) implements TcpCommand {
    }

    /** The server registered our TCP endpoint (as it saw it). */
    record Registered(InetSocketAddress tcpPublic) implements TcpCommand {
    }

    /**
     * The TCP registration failed or its connection was lost ({@code reason}); {@code refusal}:
     * the server's error code and reason when it refused the registration, else null.
     */
    record RegistrationFailed(String reason, String refusal) implements TcpCommand {
    }

    /** No stream could be made for the introduction ({@code dialId} negative: an incoming one). */
    record Failed(long dialId, String reason) implements TcpCommand {
    }
}
