package io.p2pnat.core.tcp;

import io.p2pnat.core.peer.ConnectionInfo;
import java.net.InetSocketAddress;

/** What the TCP connector asks its driver to do. */
public sealed interface TcpAction {
    /** Open a TCP connection from the punching port to {@code remote}; give up after {@code timeoutNanos}. */
    record Connect(long attemptId, InetSocketAddress remote, long timeoutNanos) implements TcpAction {
    }

    /** Open a connection to the server's stream relay for this introduction (RELAY-ATTACH). */
    record AttachRelay() implements TcpAction {
    }

    /** Use this authenticated stream; close every other stream and attempt of this introduction. */
    record Select(long streamId, ConnectionInfo info) implements TcpAction {
    }

    /** No stream could be made by the deadline. */
    record Fail(String reason) implements TcpAction {
    }
}
