package io.p2pnat.core.discovery;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Jazzer: the RFC 5780 responder on arbitrary datagrams arriving on any of its sockets. Nothing
 * is thrown; a reply leaves from a socket the server has, only to a Binding request (RFC 8489 or
 * RFC 3489); a padded request is never answered with more than its size; the metered path keeps
 * the size rule and stays within the per-source budget's table.
 */
class BehaviorResponderFuzzTest {
    private static final BehaviorResponder FULL = new BehaviorResponder(
            new InetSocketAddress(ip("192.0.2.128"), 3478), 3479, ip("192.0.2.129"));
    private static final BehaviorResponder PORT_ONLY = new BehaviorResponder(
            new InetSocketAddress(ip("192.0.2.128"), 3478), 3479, null);
    private static long now = 1_000_000_000L;

    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @FuzzTest(maxDuration = "2s")
    void handle(FuzzedDataProvider data) {
        BehaviorResponder r = data.consumeBoolean() ? FULL : PORT_ONLY;
        ServerSocketRole role = data.pickValue(ServerSocketRole.values());
        if (r.address(role) == null) {
            role = ServerSocketRole.PRIMARY;
        }
        InetSocketAddress from = data.consumeBoolean()
                ? new InetSocketAddress("198.51.100." + data.consumeInt(1, 3), 5000)
                : new InetSocketAddress("2001:db8::" + data.consumeInt(1, 3), 5000);
        boolean metered = data.consumeBoolean();
        byte[] d = data.consumeRemainingAsBytes();
        BehaviorResponder.Reply reply = metered ? r.handle(now, role, from, d, 0, d.length)
                : r.handle(role, from, d, 0, d.length);
        now += 1_000_000;
        if (reply == null) {
            return;
        }
        check(r.address(reply.from()) != null, "reply from a socket the server lacks: " + reply.from());
        check(reply.to().equals(from), "reply to someone else");
        if (metered) {
            check(reply.payload().length <= io.p2pnat.core.SourceBudget.sizeLimit(d.length),
                    "answer of " + reply.payload().length + " to " + d.length + " bytes");
        }
        io.p2pnat.wire.StunMessage m = BehaviorResponder.bindingRequest(d, 0, d.length);
        check(m != null || ClassicBinding.parse(d, 0, d.length) != null, "a reply to neither a Binding nor a classic Binding");
        if (m != null && m.has(io.p2pnat.wire.StunAttributeType.PADDING) && reply.payload().length > d.length) {
            // padded answers may exceed the request only when the natural answer already does
            check(reply.payload().length <= 120, "padded answer of " + reply.payload().length + " to " + d.length);
        }
        check(r.sourceBudget().size() <= io.p2pnat.core.SourceBudget.DEFAULT_MAX_SOURCES, "budget table");
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
