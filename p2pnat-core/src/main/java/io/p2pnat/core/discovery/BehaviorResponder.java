package io.p2pnat.core.discovery;

import io.p2pnat.core.SourceBudget;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.StunParseException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The server side of NAT behaviour discovery, RFC 5780 §6.1 ("Server Behavior"), stateless and
 * sans-I/O: feed it a datagram and the {@link ServerSocketRole socket} it arrived on, send the
 * {@link Reply} from the socket it names.
 *
 * <ul>
 *   <li>Every Binding success response carries XOR-MAPPED-ADDRESS (RFC 8489 §14.2), RESPONSE-ORIGIN
 *       (RFC 5780 §7.3: "the source IP address and port the response was sent from") and, with an
 *       alternate address, OTHER-ADDRESS (§7.4: the address "that would be used if the client
 *       requested the 'change IP' and 'change port' behavior"), relative to the receiving socket.</li>
 *   <li>CHANGE-REQUEST (§7.2): the answer leaves from the socket differing in IP and/or port as
 *       asked. A server without an alternate IP address cannot change IP: §6.1 says such a request
 *       gets error 420 (Unknown Attribute) listing CHANGE-REQUEST; so does one without an
 *       alternate port asked to change port.</li>
 *   <li>Without an alternate IP address OTHER-ADDRESS is left out (a client would take the same IP
 *       for a second one); the p2pnat ALT-PORT attribute then names the alternate port, so p2pnat
 *       clients can still run the port-only tests.</li>
 *   <li>PADDING (§7.6): a request carrying it gets a response padded to at least its size, so both
 *       directions cross the path at the same (e.g. fragmenting) size.</li>
 *   <li>RESPONSE-PORT (§7.5) is not supported: 420, as for any unknown comprehension-required
 *       attribute.</li>
 * </ul>
 * On the primary socket of a server without an alternate IP, a plain Binding request (no
 * CHANGE-REQUEST, no PADDING) is not this responder's: {@link #handle} returns null and the
 * rendezvous service answers it as it always has.
 *
 * <p>RFC 3489 ("classic") Binding requests, without the magic cookie, are answered on every
 * socket as RFC 8489 §12 describes ({@link ClassicBinding}): MAPPED-ADDRESS, SOURCE-ADDRESS and
 * CHANGED-ADDRESS, with CHANGE-REQUEST honoured.
 *
 * <p>RFC 5128 §6.2 / amplification: answers carry RESPONSE-ORIGIN and OTHER-ADDRESS and so are
 * about three times the size of a bare request (20 → 56 bytes; 92 over IPv6). {@link #handle(long,
 * ServerSocketRole, InetSocketAddress, byte[], int, int)} meters them with a {@link SourceBudget}
 * (at most 5x the request and 128 bytes; per-source rates no normal client meets). An answer the
 * budget refuses is dropped, never sent from another socket: a client that does not check the
 * source would take an answer from the wrong address for a passed filtering test (§7.3). A client
 * that pads its requests (§7.6 PADDING, as p2pnat's {@link NatCheck} does) gets answers no larger
 * than its requests.
 */
public final class BehaviorResponder {
    private final InetSocketAddress primary;
    private final int altPort;
    private final InetAddress altIp;
    private final boolean originKnown;
    private final SourceBudget budget;

    /** Where to send an answer, and from which socket. */
    public record Reply(ServerSocketRole from, InetSocketAddress to, byte[] payload) {
        public Reply {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            Objects.requireNonNull(payload, "payload");
        }
    }

    /**
     * @param primary the primary socket's address; a wildcard address (0.0.0.0) is allowed only
     *                without {@code altIp}, and RESPONSE-ORIGIN is then left out
     * @param altPort the alternate port (1-65535, not the primary port), or 0 for none
     * @param altIp   the alternate IP address (same family, not the primary), or null for none;
     *                needs an alternate port
     * @throws IllegalArgumentException for a combination that cannot serve RFC 5780
     */
    public BehaviorResponder(InetSocketAddress primary, int altPort, InetAddress altIp) {
        this(primary, altPort, altIp, new SourceBudget());
    }

    /**
     * Like {@link #BehaviorResponder(InetSocketAddress, int, InetAddress)}, metering answers with
     * {@code budget} (a server shares one among the services answering on its UDP sockets).
     */
    public BehaviorResponder(InetSocketAddress primary, int altPort, InetAddress altIp, SourceBudget budget) {
        this.budget = Objects.requireNonNull(budget, "budget");
        this.primary = Objects.requireNonNull(primary, "primary");
        this.altPort = altPort;
        this.altIp = altIp;
        this.originKnown = !primary.getAddress().isAnyLocalAddress();
        if (altPort < 0 || altPort > 65535 || (altPort != 0 && altPort == primary.getPort())) {
            throw new IllegalArgumentException("alternate port must be 1-65535 and differ from the primary port: " + altPort);
        }
        if (altIp != null) {
            if (altPort == 0) {
                throw new IllegalArgumentException("an alternate IP address needs an alternate port (RFC 5780 §4.1: two ports)");
            }
            if (!originKnown) {
                throw new IllegalArgumentException("an alternate IP address needs a specific primary address, not "
                        + primary.getAddress().getHostAddress() + ": RESPONSE-ORIGIN must name the address answering");
            }
            if (altIp.equals(primary.getAddress()) || altIp.getAddress().length != primary.getAddress().getAddress().length) {
                throw new IllegalArgumentException("the alternate IP address must differ from the primary one and have the same family");
            }
        }
    }

    /** True when the server has a second IP address (the full RFC 5780 test set can run). */
    public boolean hasAlternateIp() {
        return altIp != null;
    }

    /** The transport address of one of the sockets; null for a socket this server lacks. */
    public InetSocketAddress address(ServerSocketRole role) {
        if ((role.onAlternateIp() && altIp == null) || (role.onAlternatePort() && altPort == 0)) {
            return null;
        }
        return new InetSocketAddress(role.onAlternateIp() ? altIp : primary.getAddress(),
                role.onAlternatePort() ? altPort : primary.getPort());
    }

    /**
     * True if a datagram received on {@code arrivedOn} is this responder's to answer or drop (and
     * must not go to anyone else): every Binding request on the sockets other than the primary;
     * on the primary socket, a classic (RFC 3489) Binding request, and, without an alternate IP
     * address, only requests carrying CHANGE-REQUEST, PADDING or RESPONSE-PORT (plain Bindings are
     * the rendezvous service's there).
     */
    public boolean claims(ServerSocketRole arrivedOn, byte[] buf, int off, int len) {
        if (ClassicBinding.looksLikeRequest(buf, off, len)) {
            return true;
        }
        StunMessage m = bindingRequest(buf, off, len);
        if (m == null) {
            return false;
        }
        return arrivedOn != ServerSocketRole.PRIMARY || altIp != null || m.has(StunAttributeType.CHANGE_REQUEST)
                || m.has(StunAttributeType.PADDING) || m.has(StunAttributeType.RESPONSE_PORT);
    }

    /**
     * Answers one datagram received on {@code arrivedOn} from {@code from} at {@code now}, within
     * this responder's {@link SourceBudget}: like {@link #handle(ServerSocketRole, InetSocketAddress,
     * byte[], int, int)}, but null also when the budget refuses the answer. Servers use this, and
     * drop a datagram this responder {@link #claims} when it returns null.
     */
    public Reply handle(long now, ServerSocketRole arrivedOn, InetSocketAddress from, byte[] buf, int off, int len) {
        Reply r = handle(arrivedOn, from, buf, off, len);
        if (r == null) {
            return null;
        }
        return budget.answer(now, from.getAddress(), len, r.payload().length) ? r : null;
    }

    /** The budget of {@link #handle(long, ServerSocketRole, InetSocketAddress, byte[], int, int)}. */
    public SourceBudget sourceBudget() {
        return budget;
    }

    /**
     * Answers one datagram received on {@code arrivedOn} from {@code from}, unmetered (for callers
     * that meter answers themselves, and tests).
     *
     * @return the reply, or null when the datagram is not a Binding request, is a plain one on
     *     the primary socket of a server without an alternate IP (the rendezvous service's), or is
     *     a classic request this server cannot serve (a change it has no socket for,
     *     RESPONSE-ADDRESS, malformed)
     */
    public Reply handle(ServerSocketRole arrivedOn, InetSocketAddress from, byte[] buf, int off, int len) {
        if (ClassicBinding.looksLikeRequest(buf, off, len)) {
            return classic(arrivedOn, from, ClassicBinding.parse(buf, off, len));
        }
        StunMessage m = bindingRequest(buf, off, len);
        if (m == null) {
            return null;
        }
        if (arrivedOn == ServerSocketRole.PRIMARY && altIp == null && !m.has(StunAttributeType.CHANGE_REQUEST)
                && !m.has(StunAttributeType.PADDING) && !m.has(StunAttributeType.RESPONSE_PORT)) {
            return null;
        }
        int[] unknown = m.unknownComprehensionRequired();
        if (m.has(StunAttributeType.RESPONSE_PORT)) {
            unknown = append(unknown, StunAttributeType.RESPONSE_PORT);
        }
        ChangeRequest change = ChangeRequest.of(m);
        if (change != null && ((change.changeIp() && altIp == null) || (change.changePort() && altPort == 0))) {
            unknown = append(unknown, StunAttributeType.CHANGE_REQUEST);
        }
        if (unknown.length > 0) {
            byte[] error = StunMessage.builder(StunMethod.BINDING, StunClass.ERROR_RESPONSE, m.transactionId())
                    .addErrorCode(420, "Unknown Attribute")
                    .addUnknownAttributes(unknown)
                    .build().encode(null, m.has(StunAttributeType.FINGERPRINT));
            return new Reply(arrivedOn, from, error);
        }
        ServerSocketRole out = change == null ? arrivedOn : arrivedOn.changed(change.changeIp(), change.changePort());
        return new Reply(out, from, success(out, from, m, len, null, null));
    }

    /**
     * The success response to a Binding request that came over TCP to {@code arrivedOn}, with the
     * TCP-PROBE outcome when the request asked for one ({@link DiscoveryWire#TCP_PROBE}).
     *
     * @param outcome     the probe's outcome, or null when no probe was made
     * @param probeSource where the probe SYN came from, or null
     */
    public byte[] tcpAnswer(ServerSocketRole arrivedOn, InetSocketAddress from, StunMessage request,
                            TcpProbeOutcome outcome, InetSocketAddress probeSource) {
        return success(arrivedOn, from, request, 0, outcome, probeSource);
    }

    /** True if a Binding request asks for a TCP probe. */
    public static boolean wantsTcpProbe(StunMessage m) {
        return m.has(DiscoveryWire.TCP_PROBE);
    }

    /** The datagram as a Binding request, or null if it is not one (never throws). */
    public static StunMessage bindingRequest(byte[] buf, int off, int len) {
        if (!StunMessage.looksLikeStun(buf, off, len)) {
            return null;
        }
        try {
            StunMessage m = StunMessage.decode(buf, off, len);
            return m.method() == StunMethod.BINDING && m.messageClass() == StunClass.REQUEST ? m : null;
        } catch (StunParseException e) {
            return null;
        }
    }

    private Reply classic(ServerSocketRole arrivedOn, InetSocketAddress from, ClassicBinding req) {
        if (req == null) {
            return null;
        }
        ChangeRequest change = req.change();
        if (change != null && ((change.changeIp() && altIp == null) || (change.changePort() && altPort == 0))) {
            return null; // RFC 3489 has no way to say "cannot change"; an answer from here would lie
        }
        ServerSocketRole out = change == null ? arrivedOn : arrivedOn.changed(change.changeIp(), change.changePort());
        InetSocketAddress changed = altIp == null ? null : address(out.changed(true, true));
        return new Reply(out, from, req.response(from, originKnown ? address(out) : null, changed));
    }

    private byte[] success(ServerSocketRole sentFrom, InetSocketAddress to, StunMessage m, int requestLength,
                           TcpProbeOutcome outcome, InetSocketAddress probeSource) {
        StunMessage.Builder b = StunMessage.builder(StunMethod.BINDING, StunClass.SUCCESS_RESPONSE, m.transactionId())
                .addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, to);
        if (originKnown) {
            b.addAddress(StunAttributeType.RESPONSE_ORIGIN, address(sentFrom));
        }
        if (altIp != null) {
            b.addAddress(StunAttributeType.OTHER_ADDRESS, address(sentFrom.changed(true, true)));
        } else if (altPort != 0) {
            b.addUint32(StunAttributeType.ALT_PORT, sentFrom.onAlternatePort() ? primary.getPort() : altPort);
        }
        if (outcome != null) {
            b.addByte(DiscoveryWire.TCP_PROBE_RESULT, outcome.code());
        }
        if (probeSource != null) {
            b.addAddress(DiscoveryWire.PROBE_SOURCE, probeSource);
        }
        boolean fingerprint = m.has(StunAttributeType.FINGERPRINT);
        if (m.has(StunAttributeType.PADDING)) {
            int size = b.build().encode(null, fingerprint).length;
            int missing = requestLength - size - 4;
            if (missing > 0) {
                // Room left under the 16-bit length, keeping 8 bytes for a FINGERPRINT added after.
                int room = StunMessage.MAX_BODY_LENGTH - (size - StunMessage.HEADER_LENGTH) - 4 - 8;
                b.addAttribute(StunAttributeType.PADDING, new byte[Math.min((missing + 3) & ~3, room)]);
            }
        }
        return b.build().encode(null, fingerprint);
    }

    private static int[] append(int[] types, int type) {
        for (int t : types) {
            if (t == type) {
                return types;
            }
        }
        int[] out = java.util.Arrays.copyOf(types, types.length + 1);
        out[types.length] = type;
        return out;
    }
}
