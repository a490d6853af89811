package io.p2pnat.core.discovery;

import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunMessage;
import java.util.OptionalLong;

/**
 * CHANGE-REQUEST, RFC 5780 §7.2: a 32-bit value of which only two flags count, "A: This is the
 * 'change IP' flag" (0x4) and "B: This is the 'change port' flag" (0x2). Immutable.
 *
 * @param changeIp   answer from the other IP address
 * @param changePort answer from the other port
 */
public record ChangeRequest(boolean changeIp, boolean changePort) {
    public static final int CHANGE_IP = 0x4;
    public static final int CHANGE_PORT = 0x2;
    /** CHANGE-REQUEST with no flag: an RFC 5780 test I that still says "I speak RFC 5780". */
    public static final ChangeRequest NONE = new ChangeRequest(false, false);
    public static final ChangeRequest PORT = new ChangeRequest(false, true);
    public static final ChangeRequest IP_AND_PORT = new ChangeRequest(true, true);

    /** The flags as the 32-bit value. */
    public long value() {
        return (changeIp ? CHANGE_IP : 0) | (changePort ? CHANGE_PORT : 0);
    }

    /** The request's CHANGE-REQUEST, or null if it has none (or a malformed one). */
    public static ChangeRequest of(StunMessage m) {
        OptionalLong v = m.uint32(StunAttributeType.CHANGE_REQUEST);
        if (v.isEmpty()) {
            return null;
        }
        long flags = v.getAsLong();
        return new ChangeRequest((flags & CHANGE_IP) != 0, (flags & CHANGE_PORT) != 0);
    }
}
