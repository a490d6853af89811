package io.p2pnat.peer;

import io.p2pnat.core.discovery.PortAllocation;
import io.p2pnat.core.peer.NatProfile;
import io.p2pnat.core.peer.PeerEvent;

/**
 * What this peer measured about the NAT in front of it, in RFC 4787 terms and with the JSON
 * values {@code p2pnat natcheck} uses. The peer measures only what its techniques need: mapping
 * and port allocation while registering (a Binding to the server's second port or address), and
 * filtering behind an endpoint-independent NAT, a moment later. {@code natcheck} runs every test.
 *
 * @param natDetected    whether the server saw another address than the peer's own
 * @param mapping        {@code "endpoint-independent"}, {@code "dependent"} (address- or
 *                       address-and-port-dependent: the peer's test does not tell them apart) or
 *                       {@code "unknown"} (the server offers no second port)
 * @param portAllocation {@code "preserving"}, {@code "sequential"}, {@code "random"} or {@code "unknown"}
 * @param portDelta      the step between new mappings' ports when sequential, else 0
 * @param filtering      {@code "endpoint-independent"}, {@code "address-dependent"},
 *                       {@code "address-and-port-dependent"} or {@code "unknown"} (not measured yet,
 *                       or not behind an endpoint-independent NAT)
 */
public record NatBehaviour(boolean natDetected, String mapping, String portAllocation, int portDelta, String filtering) {
    static NatBehaviour of(PeerEvent.NatMeasured m) {
        NatProfile p = m.profile(); // in natcheck's words: the core's vocabulary
        return new NatBehaviour(m.behindNat(), p.mapping().wireName(), p.allocation().wireName(),
                p.allocation() == PortAllocation.SEQUENTIAL ? p.delta() : 0, m.filtering().wireName());
    }

    /** {@return one line for people: "our NAT: mapping endpoint-independent, ports preserving, filtering address-dependent"} */
    public String describe() {
        if (!natDetected) {
            return "no NAT in front of us (the server sees our own address)";
        }
        return "our NAT: mapping " + mapping + ", ports " + portAllocation
                + (portDelta != 0 ? (portDelta > 0 ? " +" : " ") + portDelta : "") + ", filtering " + filtering;
    }
}
