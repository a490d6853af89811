package io.p2pnat.core.discovery;

import io.p2pnat.core.discovery.NatCheckResult.TcpUnsolicited;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.OptionalInt;
import java.util.Random;

/**
 * {@link NatCheck}'s TCP test, carried out by the driver: a Binding request with TCP-PROBE over
 * a TCP connection to the server's alternate port, answered with what the NAT did to the server's
 * unsolicited SYN toward our TCP mapping. RFC 5128 §3.4: a NAT that answers such a SYN with a RST
 * can poison TCP simultaneous open, one that drops it cannot, so the punch depends on knowing it.
 */
final class TcpProbeExchange {
    private final NatCheckFindings findings;
    private NatCheck.TcpProbe pending;
    private boolean outstanding;

    TcpProbeExchange(NatCheckFindings findings) {
        this.findings = findings;
    }

    /** Asks the driver to run the exchange with {@code altServer} (its transaction id is drawn now). */
    void start(InetSocketAddress altServer, Random random) {
        byte[] req = StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, TransactionId.random(random))
                .addAttribute(DiscoveryWire.TCP_PROBE, new byte[0]).build().encode(null, true);
        pending = new NatCheck.TcpProbe(altServer, req);
        outstanding = true;
    }

    /** The exchange to carry out, once; null if none (yet). */
    NatCheck.TcpProbe poll() {
        NatCheck.TcpProbe p = pending;
        pending = null;
        return p;
    }

    /** Still to be carried out or answered. */
    boolean busy() {
        return outstanding || pending != null;
    }

    /** Takes the STUN answer the exchange read; false if none was awaited. */
    boolean answered(byte[] answer) {
        if (!outstanding) {
            return false;
        }
        outstanding = false;
        try {
            StunMessage m = StunMessage.decode(answer);
            findings.tcpPublic = m.xorAddress(StunAttributeType.XOR_MAPPED_ADDRESS).orElse(null);
            OptionalInt code = m.byteValue(DiscoveryWire.TCP_PROBE_RESULT);
            TcpProbeOutcome o = code.isEmpty() ? null : TcpProbeOutcome.ofCode(code.getAsInt());
            if (m.messageClass() != StunClass.SUCCESS_RESPONSE || o == null) {
                findings.skipped.add("tcp");
                findings.notes.add("the server answered over TCP but did not probe (an older server, or it lacks a second address)");
            } else {
                findings.tcpResult = switch (o) {
                    case CONNECTED -> TcpUnsolicited.NONE;
                    case RESET -> TcpUnsolicited.RST;
                    case TIMEOUT -> TcpUnsolicited.DROP;
                    case UNREACHABLE -> TcpUnsolicited.ICMP;
                };
            }
        } catch (StunParseException e) {
            findings.skipped.add("tcp");
            findings.notes.add("the server's TCP answer was not STUN: " + e.getMessage());
        }
        return true;
    }

    /** The exchange failed (connect refused, timed out, closed early); false if none was awaited. */
    boolean failed(String why) {
        if (!outstanding) {
            return false;
        }
        outstanding = false;
        findings.skipped.add("tcp");
        findings.notes.add("TCP test failed: " + why);
        return true;
    }
}
