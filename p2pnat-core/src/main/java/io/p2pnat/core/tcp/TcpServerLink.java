package io.p2pnat.core.tcp;

import io.p2pnat.core.peer.PeerAgent;
import io.p2pnat.wire.StunMessage;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Function;

/**
 * What the {@link TcpEngine} needs from the peer's server session (the {@link PeerAgent}'s key):
 * plain synchronous calls.
 */
public interface TcpServerLink {
    /** The request encoded with MESSAGE-INTEGRITY under the session key, or null when not registered. */
    byte[] signForServer(StunMessage.Builder b);

    /** True if {@code m} is authentic from the server. */
    boolean fromServer(StunMessage m);

    /** Our TCP endpoints, once registered over the control connection. */
    void setTcpEndpoints(InetSocketAddress publicEndpoint, List<InetSocketAddress> privateEndpoints);

    /** The agent itself, called directly (it lives on the engine's thread). */
    static TcpServerLink of(PeerAgent agent) {
        return through(f -> f.apply(agent));
    }

    /**
     * The agent reached through {@code call}, which applies a function to it and returns the
     * result (a socket driver runs it on the agent's thread and waits).
     */
    static TcpServerLink through(Function<Function<PeerAgent, Object>, Object> call) {
        return new TcpServerLink() {
            @Override
            public byte[] signForServer(StunMessage.Builder b) {
                return (byte[]) call.apply(agent -> agent.signForServer(b));
            }

            @Override
            public boolean fromServer(StunMessage m) {
                return (Boolean) call.apply(agent -> agent.fromServer(m));
            }

            @Override
            public void setTcpEndpoints(InetSocketAddress publicEndpoint, List<InetSocketAddress> privateEndpoints) {
                call.apply(agent -> {
                    agent.setTcpEndpoints(publicEndpoint, privateEndpoints);
                    return null;
                });
            }
        };
    }
}
