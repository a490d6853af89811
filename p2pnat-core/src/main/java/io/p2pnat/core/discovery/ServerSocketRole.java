package io.p2pnat.core.discovery;

/**
 * The four transport addresses of an RFC 5780 server (§4.1 "the server has two IP addresses and
 * two ports"): the primary address and port, and each combination with the alternate address
 * and/or the alternate port. The ordinal bits match CHANGE-REQUEST's flags (RFC 5780 §7.2: 0x4
 * change IP, 0x2 change port), so the socket that answers a request is the one it arrived on with
 * the requested bits flipped ({@link #changed}).
 */
public enum ServerSocketRole {
    /** Primary IP, primary port: where clients send (and the rendezvous service listens). */
    PRIMARY(0),
    /** Primary IP, alternate port. */
    CHANGED_PORT(ChangeRequest.CHANGE_PORT),
    /** Alternate IP, primary port. */
    CHANGED_IP(ChangeRequest.CHANGE_IP),
    /** Alternate IP, alternate port: what OTHER-ADDRESS names for a request to the primary. */
    CHANGED_BOTH(ChangeRequest.CHANGE_IP | ChangeRequest.CHANGE_PORT);

    private final int bits;

    ServerSocketRole(int bits) {
        this.bits = bits;
    }

    /** True for the two sockets on the alternate IP address. */
    public boolean onAlternateIp() {
        return (bits & ChangeRequest.CHANGE_IP) != 0;
    }

    /** True for the two sockets on the alternate port. */
    public boolean onAlternatePort() {
        return (bits & ChangeRequest.CHANGE_PORT) != 0;
    }

    /** The socket that differs from this one in IP and/or port as asked. */
    public ServerSocketRole changed(boolean ip, boolean port) {
        int b = bits ^ (ip ? ChangeRequest.CHANGE_IP : 0) ^ (port ? ChangeRequest.CHANGE_PORT : 0);
        for (ServerSocketRole r : values()) {
            if (r.bits == b) {
                return r;
            }
        }
        throw new IllegalStateException("impossible: " + b);
    }
}
