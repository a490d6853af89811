package io.p2pnat.core.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.tcp.TcpServerLink;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The TCP layer signs and checks server messages from its own thread without waiting for the
 * agent's thread; only the endpoints it learns are handed over, in order.
 */
class TcpServerLinkTest {
    private static StunMessage.Builder request() {
        return StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, TransactionId.random(new Random(1)));
    }

    @Test
    void signsAndChecksOnTheCallersThreadWhileTheAgentThreadIsBusy() throws Exception {
        Figures.Net f = Figures.figure3(40);
        List<Runnable> agentThread = new ArrayList<>(); // never run: the agent's thread is "busy"
        TcpServerLink link = TcpServerLink.of(f.a().agent, agentThread::add);
        assertNull(link.signForServer(request()), "nothing to sign with before registration");
        f.registered();

        CompletableFuture<byte[]> signed = CompletableFuture.supplyAsync(() -> link.signForServer(request()));
        byte[] bytes = signed.get(2, TimeUnit.SECONDS);
        assertNotNull(bytes);
        StunMessage m = StunMessage.decode(bytes);
        assertTrue(CompletableFuture.supplyAsync(() -> link.fromServer(m)).get(2, TimeUnit.SECONDS),
                "signed under the session key the server gave");
        assertFalse(link.fromServer(StunMessage.decode(request().build().encode(new byte[16], true))),
                "a message under another key does not pass");
        assertTrue(agentThread.isEmpty(), "signing and checking never queued work for the agent's thread");

        link.setTcpEndpoints(new InetSocketAddress("192.0.2.1", 1234), List.of(new InetSocketAddress("10.0.0.1", 1234)));
        assertEquals(1, agentThread.size(), "the endpoints go to the agent's thread");
        agentThread.get(0).run();
    }
}
