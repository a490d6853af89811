package io.p2pnat.core.discovery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * RFC 8489 §12 / RFC 3489: a Binding request without the magic cookie is answered with
 * MAPPED-ADDRESS, SOURCE-ADDRESS and CHANGED-ADDRESS, echoing the 128-bit transaction id, from the
 * socket its CHANGE-REQUEST names.
 */
class ClassicBindingTest {
    private static final InetSocketAddress CLIENT = new InetSocketAddress(ip("203.0.113.9"), 40000);
    private final BehaviorResponder full = new BehaviorResponder(new InetSocketAddress(ip("192.0.2.128"), 3478), 3479,
            ip("192.0.2.129"));
    private final BehaviorResponder portOnly = new BehaviorResponder(new InetSocketAddress(ip("192.0.2.128"), 3478), 3479,
            null);

    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static byte[] request(int changeFlags, int extraType) {
        ByteBuffer b = ByteBuffer.allocate(40);
        b.putShort((short) 0x0001).putShort((short) 0);
        for (int i = 0; i < 16; i++) {
            b.put((byte) (0xA0 + i));
        }
        if (changeFlags >= 0) {
            b.putShort((short) 0x0003).putShort((short) 4).putInt(changeFlags);
        }
        if (extraType >= 0) {
            b.putShort((short) extraType).putShort((short) 8).putShort((short) 1).putShort((short) 9).put(new byte[] {1, 2, 3, 4});
        }
        b.putShort(2, (short) (b.position() - 20));
        return Arrays.copyOf(b.array(), b.position());
    }

    /** Attribute type → "ip:port" of the response's address attributes. */
    private static java.util.Map<Integer, String> addresses(byte[] r) {
        java.util.Map<Integer, String> m = new java.util.TreeMap<>();
        ByteBuffer b = ByteBuffer.wrap(r);
        assertEquals(0x0101, b.getShort(0) & 0xFFFF, "Binding success response");
        assertEquals(r.length - 20, b.getShort(2) & 0xFFFF);
        int pos = 20;
        while (pos < r.length) {
            int type = b.getShort(pos) & 0xFFFF;
            int len = b.getShort(pos + 2) & 0xFFFF;
            int port = b.getShort(pos + 6) & 0xFFFF;
            byte[] addr = Arrays.copyOfRange(r, pos + 8, pos + 4 + len);
            try {
                m.put(type, InetAddress.getByAddress(addr).getHostAddress() + ":" + port);
            } catch (java.net.UnknownHostException e) {
                throw new AssertionError(e);
            }
            pos += 4 + len;
        }
        return m;
    }

    @Test
    void plainRequestGetsMappedSourceAndChangedAddress() {
        byte[] req = request(-1, -1);
        BehaviorResponder.Reply reply = full.handle(ServerSocketRole.PRIMARY, CLIENT, req, 0, req.length);
        assertNotNull(reply);
        assertEquals(ServerSocketRole.PRIMARY, reply.from());
        assertArrayEquals(Arrays.copyOfRange(req, 4, 20), Arrays.copyOfRange(reply.payload(), 4, 20), "128-bit transaction id echoed");
        assertEquals(java.util.Map.of(0x0001, "203.0.113.9:40000", 0x0004, "192.0.2.128:3478", 0x0005, "192.0.2.129:3479"),
                addresses(reply.payload()));
    }

    @Test
    void changeRequestIsAnsweredFromTheSocketAsked() {
        byte[] both = request(0x06, -1);
        BehaviorResponder.Reply r = full.handle(ServerSocketRole.PRIMARY, CLIENT, both, 0, both.length);
        assertEquals(ServerSocketRole.CHANGED_BOTH, r.from());
        assertEquals("192.0.2.129:3479", addresses(r.payload()).get(0x0004));
        assertEquals("192.0.2.128:3478", addresses(r.payload()).get(0x0005));
        byte[] port = request(0x02, -1);
        assertEquals(ServerSocketRole.CHANGED_PORT, full.handle(ServerSocketRole.PRIMARY, CLIENT, port, 0, port.length).from());
    }

    @Test
    void whatCannotBeServedHonestlyIsNotAnswered() {
        byte[] changeIp = request(0x04, -1);
        assertTrue(portOnly.claims(ServerSocketRole.PRIMARY, changeIp, 0, changeIp.length), "not passed to anyone else");
        assertNull(portOnly.handle(ServerSocketRole.PRIMARY, CLIENT, changeIp, 0, changeIp.length), "no second IP to answer from");
        byte[] responseAddress = request(-1, 0x0002);
        assertNull(full.handle(ServerSocketRole.PRIMARY, CLIENT, responseAddress, 0, responseAddress.length),
                "RESPONSE-ADDRESS would reflect to a third party");
        byte[] truncated = Arrays.copyOf(request(0x06, -1), 26);
        truncated[3] = 6;
        assertNull(ClassicBinding.parse(truncated, 0, truncated.length));
        // A plain classic request on a server without a second address: answered, without CHANGED-ADDRESS.
        byte[] plain = request(-1, -1);
        assertEquals(java.util.Set.of(0x0001, 0x0004),
                addresses(portOnly.handle(ServerSocketRole.PRIMARY, CLIENT, plain, 0, plain.length).payload()).keySet());
    }
}
