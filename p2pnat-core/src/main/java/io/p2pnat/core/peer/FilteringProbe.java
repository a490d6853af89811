package io.p2pnat.core.peer;

import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import io.p2pnat.core.discovery.ChangeRequest;
import io.p2pnat.core.discovery.DiscoveryWire;
import io.p2pnat.core.discovery.FilteringBehaviour;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.Queue;
import java.util.Random;

/**
 * Our NAT's filtering behaviour (RFC 4787 §5), by the tests of RFC 5780 §4.4, run from a fresh
 * local socket whose only hole leads to the server's primary endpoint. One Binding request asks
 * to be answered from the server's other address and alternate port (CHANGE-REQUEST "change IP
 * and port"), another from its alternate port (CHANGE-REQUEST "change port"): the first answer
 * gets in only through endpoint-independent filtering, the second through address-dependent
 * filtering too, and silence after both left means address-and-port-dependent filtering. Each is
 * sent twice; a lost answer errs toward the stricter class, which only keeps today's caution.
 *
 * <p>Birthday punching uses the result: against a peer whose NAT admits any port of an address
 * it sent to, plain punching works and a 256-socket spray is waste; against one that filters by
 * port, plain punching cannot work and the spray need not wait (RFC 5128 §3.3, §6.2).
 */
final class FilteringProbe {
    private static final long MIN_WAIT = 300_000_000L;
    private static final long MAX_WAIT = 2_000_000_000L;

    private InetSocketAddress server;
    private int socket = -1;
    private TransactionId both;
    private TransactionId port;
    private byte[] bothRequest;
    private byte[] portRequest;
    private boolean bothAnswered;
    private boolean portAnswered;
    /** A test the server cannot run (an error answer, or an answer from the wrong place). */
    private boolean bothUnavailable;
    private boolean portUnavailable;
    private long resendAt = Timers.NEVER;
    private long doneAt = Timers.NEVER;
    private FilteringBehaviour result = FilteringBehaviour.UNKNOWN;

    /**
     * Starts both tests from local socket {@code socket}. {@code changeIp}: the server has a second
     * address (OTHER-ADDRESS); without it only the port test runs, which cannot tell
     * endpoint-independent from address-dependent filtering. {@code rtt}: the round trip to the
     * server seen so far (negative: unknown), which sizes the wait for answers that may not come.
     */
    void start(long now, InetSocketAddress server, boolean changeIp, long rtt, Random random, Queue<Transmit> out,
               int socket) {
        this.server = server;
        this.socket = socket;
        if (changeIp) {
            both = TransactionId.random(random);
            bothRequest = request(both, true, true);
        } else {
            bothUnavailable = true;
        }
        port = TransactionId.random(random);
        portRequest = request(port, false, true);
        long wait = Math.max(MIN_WAIT, Math.min(MAX_WAIT, rtt < 0 ? MAX_WAIT : 4 * rtt));
        resendAt = now + wait / 2;
        doneAt = now + wait;
        send(out);
    }

    private static byte[] request(TransactionId tid, boolean changeIp, boolean changePort) {
        // Padded as natcheck's: an answer held back by the server's amplification budget would read as filtering.
        return DiscoveryWire.padded(StunMessage.builder(StunMethod.BINDING, StunClass.REQUEST, tid)
                .addUint32(StunAttributeType.CHANGE_REQUEST, new ChangeRequest(changeIp, changePort).value()));
    }

    private void send(Queue<Transmit> out) {
        if (bothRequest != null && !bothAnswered) {
            out.add(new Transmit(server, bothRequest, socket));
        }
        if (!portAnswered) {
            out.add(new Transmit(server, portRequest, socket));
        }
    }

    boolean inFlight() {
        return doneAt != Timers.NEVER;
    }

    /** The local socket the tests run on (-1 before the start). */
    int socket() {
        return socket;
    }

    /** The measured filtering, once the probe is over. */
    FilteringBehaviour result() {
        return result;
    }

    boolean owns(StunMessage m) {
        return inFlight() && (m.transactionId().equals(both) || m.transactionId().equals(port));
    }

    /**
     * An answer to one of our requests from {@code from}. It counts only if it left from where
     * we asked (another address; or the server's address, another port): a server that ignored
     * CHANGE-REQUEST would otherwise pass for no filtering at all. Returns true if this ended the
     * probe.
     */
    boolean onAnswer(StunMessage m, InetSocketAddress from) {
        boolean ok = m.messageClass() == StunClass.SUCCESS_RESPONSE;
        boolean sameIp = from.getAddress().equals(server.getAddress());
        if (m.transactionId().equals(both)) {
            if (ok && !sameIp) {
                bothAnswered = true;
            } else {
                bothUnavailable = true;
            }
        } else {
            if (ok && sameIp && from.getPort() != server.getPort()) {
                portAnswered = true;
            } else {
                portUnavailable = true;
            }
        }
        if (bothAnswered || (portAnswered || portUnavailable) && bothUnavailable) {
            finish();
            return true;
        }
        return false;
    }

    /** Resends once, and ends the probe when the wait is over. Returns true if it ended now. */
    boolean onTimeout(long now, Queue<Transmit> out) {
        if (!inFlight()) {
            return false;
        }
        if (now >= doneAt) {
            finish();
            return true;
        }
        if (now >= resendAt) {
            resendAt = Timers.NEVER;
            send(out);
        }
        return false;
    }

    long nextTimeout() {
        return inFlight() ? Math.min(resendAt, doneAt) : Timers.NEVER;
    }

    private void finish() {
        doneAt = Timers.NEVER;
        resendAt = Timers.NEVER;
        if (bothAnswered) {
            result = FilteringBehaviour.ENDPOINT_INDEPENDENT;
        } else if (portAnswered) {
            result = FilteringBehaviour.ADDRESS_DEPENDENT;
        } else if (portUnavailable) {
            result = FilteringBehaviour.UNKNOWN;
        } else {
            result = FilteringBehaviour.ADDRESS_AND_PORT_DEPENDENT;
        }
    }
}
