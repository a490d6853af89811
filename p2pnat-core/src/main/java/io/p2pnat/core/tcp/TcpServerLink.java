package io.p2pnat.core.tcp;

import io.p2pnat.core.peer.PeerAgent;
import io.p2pnat.wire.StunMessage;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.Executor;

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

    /** The agent itself, called directly (it lives on the engine's thread, as in the simulator). */
    static TcpServerLink of(PeerAgent agent) {
        return of(agent, Runnable::run);
    }

    /**
     * The agent seen from another thread: signing and checking read the agent's current session
     * key directly (no hop, no wait); the endpoints are handed to {@code agentThread}, which runs
     * them in order with the agent's other work.
     */
    static TcpServerLink of(PeerAgent agent, Executor agentThread) {
        return new TcpServerLink() {
            @Override
            public byte[] signForServer(StunMessage.Builder b) {
                return agent.signForServer(b);
            }

            @Override
            public boolean fromServer(StunMessage m) {
                return agent.fromServer(m);
            }

            @Override
            public void setTcpEndpoints(InetSocketAddress publicEndpoint, List<InetSocketAddress> privateEndpoints) {
                List<InetSocketAddress> privates = List.copyOf(privateEndpoints);
                agentThread.execute(() -> agent.setTcpEndpoints(publicEndpoint, privates));
            }
        };
    }
}
