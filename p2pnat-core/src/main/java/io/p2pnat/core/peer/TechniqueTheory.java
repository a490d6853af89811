package io.p2pnat.core.peer;

/**
 * Which technique theory expects between a dialer behind one NAT and a listener behind another
 * (RFC 5128 §3.3-3.6 and §5; birthday punching for a random-port NAT facing a port-restricted
 * one). The lab's matrix and the simulator's both check their results against this one table.
 *
 * <ul>
 *   <li>both NATs map endpoint-independently: hole punching;</li>
 *   <li>a side allocates sequentially and the other is not random: port prediction;</li>
 *   <li>a random-port side is reached by plain punching only through address-only (or no)
 *       filtering on the other side, by birthday punching over UDP through port-restricted
 *       filtering; everything else is relayed.</li>
 * </ul>
 */
public final class TechniqueTheory {
    /** The traits of a NAT that the theory needs. */
    public record Traits(boolean endpointIndependent, boolean sequential, boolean random, boolean looseFiltering) {
    }

    private TechniqueTheory() {
    }

    /** The expected technique's wire name, e.g. "udp-hole-punch". */
    public static String expected(Traits a, Traits b, boolean tcp) {
        String punch = tcp ? Technique.TCP_HOLE_PUNCH.wireName() : Technique.UDP_HOLE_PUNCH.wireName();
        if (a.endpointIndependent() && b.endpointIndependent()) {
            return punch;
        }
        if (!a.random() && !b.random()) {
            return tcp ? Technique.TCP_PORT_PREDICTION.wireName() : Technique.UDP_PORT_PREDICTION.wireName();
        }
        Traits other = a.random() ? b : a;
        if (other.random()) {
            return Technique.RELAY.wireName();
        }
        if (other.endpointIndependent() && other.looseFiltering()) {
            return punch;
        }
        if (other.endpointIndependent() && !tcp) {
            return Technique.BIRTHDAY_PUNCH.wireName();
        }
        return Technique.RELAY.wireName();
    }
}
