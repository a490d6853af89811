package io.p2pnat.core.discovery;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A Binding request of RFC 3489 ("classic STUN"), which has no magic cookie, and its answer, as
 * RFC 8489 §12 describes for backwards compatibility: the 32 bits where the magic cookie would be
 * are part of a 128-bit transaction id, the response echoes that id and carries MAPPED-ADDRESS
 * (not XOR-MAPPED-ADDRESS), and, after RFC 3489 §11.2, SOURCE-ADDRESS (the socket answering) and
 * CHANGED-ADDRESS (the socket that differs in both address and port) when the server has one.
 * RFC 3489's CHANGE-REQUEST (same attribute and flags as RFC 5780 §7.2) is honoured, so classic
 * NAT-type clients work. A request with RESPONSE-ADDRESS (answer to a third address: a reflection
 * vector, RFC 5389 §19) is not answered. Stateless, immutable values; parsing never throws.
 */
public final class ClassicBinding {
    static final int BINDING_REQUEST = 0x0001;
    static final int BINDING_RESPONSE = 0x0101;
    static final int MAPPED_ADDRESS = 0x0001;
    static final int RESPONSE_ADDRESS = 0x0002;
    static final int CHANGE_REQUEST = 0x0003;
    static final int SOURCE_ADDRESS = 0x0004;
    static final int CHANGED_ADDRESS = 0x0005;
    private static final int MAGIC_COOKIE = 0x2112A442;
    private static final int HEADER = 20;

    private final byte[] transactionId;
    private final ChangeRequest change;

    private ClassicBinding(byte[] transactionId, ChangeRequest change) {
        this.transactionId = transactionId;
        this.change = change;
    }

    /** The request's CHANGE-REQUEST, or null for none. */
    public ChangeRequest change() {
        return change;
    }

    /** True if the bytes start like an RFC 3489 Binding request (type 0x0001, no magic cookie). */
    public static boolean looksLikeRequest(byte[] buf, int off, int len) {
        return len >= HEADER && buf[off] == 0 && buf[off + 1] == BINDING_REQUEST
                && ByteBuffer.wrap(buf, off + 4, 4).getInt() != MAGIC_COOKIE;
    }

    /**
     * The datagram as a classic Binding request, or null: not one (wrong type or a magic cookie),
     * malformed framing, or carrying RESPONSE-ADDRESS.
     */
    public static ClassicBinding parse(byte[] buf, int off, int len) {
        if (buf == null || off < 0 || len < HEADER || off > buf.length - len || !looksLikeRequest(buf, off, len)) {
            return null;
        }
        int length = ((buf[off + 2] & 0xFF) << 8) | (buf[off + 3] & 0xFF);
        if (length != len - HEADER || length % 4 != 0) {
            return null;
        }
        ChangeRequest change = null;
        int pos = off + HEADER;
        int end = off + len;
        while (pos < end) {
            if (end - pos < 4) {
                return null;
            }
            int type = ((buf[pos] & 0xFF) << 8) | (buf[pos + 1] & 0xFF);
            int alen = ((buf[pos + 2] & 0xFF) << 8) | (buf[pos + 3] & 0xFF);
            int next = pos + 4 + ((alen + 3) & ~3);
            if (next > end) {
                return null;
            }
            if (type == RESPONSE_ADDRESS) {
                return null;
            }
            if (type == CHANGE_REQUEST) {
                if (alen != 4) {
                    return null;
                }
                int flags = ByteBuffer.wrap(buf, pos + 4, 4).getInt();
                change = new ChangeRequest((flags & ChangeRequest.CHANGE_IP) != 0, (flags & ChangeRequest.CHANGE_PORT) != 0);
            }
            pos = next;
        }
        return new ClassicBinding(Arrays.copyOfRange(buf, off + 4, off + HEADER), change);
    }

    /**
     * The Binding response: MAPPED-ADDRESS {@code mapped}, SOURCE-ADDRESS {@code source} (if not
     * null) and CHANGED-ADDRESS {@code changed} (if not null).
     */
    public byte[] response(InetSocketAddress mapped, InetSocketAddress source, InetSocketAddress changed) {
        ByteBuffer b = ByteBuffer.allocate(HEADER + 3 * 24);
        b.putShort((short) BINDING_RESPONSE).putShort((short) 0).putInt(0);
        b.position(4);
        b.put(transactionId);
        address(b, MAPPED_ADDRESS, mapped);
        if (source != null) {
            address(b, SOURCE_ADDRESS, source);
        }
        if (changed != null) {
            address(b, CHANGED_ADDRESS, changed);
        }
        b.putShort(2, (short) (b.position() - HEADER));
        return Arrays.copyOf(b.array(), b.position());
    }

    private static void address(ByteBuffer b, int type, InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        byte[] raw = ip.getAddress();
        b.putShort((short) type).putShort((short) (4 + raw.length));
        b.put((byte) 0).put((byte) (raw.length == 4 ? 0x01 : 0x02)).putShort((short) a.getPort()).put(raw);
    }
}
