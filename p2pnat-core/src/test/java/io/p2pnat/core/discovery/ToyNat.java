package io.p2pnat.core.discovery;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A NAT model for unit tests, every RFC 4787 behaviour the lab builds: mapping keyed by inside
 * endpoint (EIM), plus remote IP (ADM), plus remote port (APDM); preserving, sequential or random
 * ports (one counter for UDP and TCP, as in the lab); endpoint-independent, address-dependent or
 * address-and-port-dependent filtering; hairpinning; unsolicited TCP dropped or reset.
 */
final class ToyNat {
    enum Mapping { EIM, ADM, APDM }

    enum Alloc { PRESERVING, SEQUENTIAL, RANDOM }

    enum Filter { EIF, ADF, APDF }

    record Spec(Mapping mapping, Alloc alloc, int delta, Filter filter, boolean hairpin, boolean tcpRst) {
        Spec with(boolean hairpinOn) {
            return new Spec(mapping, alloc, delta, filter, hairpinOn, tcpRst);
        }
    }

    private record Binding(InetSocketAddress inside, InetSocketAddress outside, Set<InetSocketAddress> sentTo) {
    }

    final InetAddress publicIp;
    private final Spec spec;
    private final Random random = new Random(7);
    private final Map<String, Binding> byKey = new HashMap<>();
    private final Map<Integer, Binding> byPort = new HashMap<>();
    private final List<Integer> made = new ArrayList<>();
    private int next;

    ToyNat(InetAddress publicIp, Spec spec) {
        this.publicIp = publicIp;
        this.spec = spec;
    }

    /** The public endpoint an outbound packet leaves with (making a mapping if needed). */
    InetSocketAddress out(String proto, InetSocketAddress inside, InetSocketAddress to) {
        String key = proto + inside + switch (spec.mapping()) {
            case EIM -> "";
            case ADM -> to.getAddress().toString();
            case APDM -> to.toString();
        };
        Binding b = byKey.get(key);
        if (b == null) {
            int port = switch (spec.alloc()) {
                case PRESERVING -> byPort.containsKey(inside.getPort()) ? 20000 + next++ : inside.getPort();
                case SEQUENTIAL -> 40000 + spec.delta() * next++;
                case RANDOM -> {
                    int p;
                    do {
                        p = 1024 + random.nextInt(64000);
                    } while (byPort.containsKey(p));
                    yield p;
                }
            };
            b = new Binding(inside, new InetSocketAddress(publicIp, port), new HashSet<>());
            byKey.put(key, b);
            byPort.putIfAbsent(port, b);
            made.add(port);
        }
        b.sentTo().add(to);
        return b.outside();
    }

    /** The inside endpoint an inbound packet reaches, or null if filtered or unmapped. */
    InetSocketAddress in(InetSocketAddress from, int publicPort) {
        Binding b = byPort.get(publicPort);
        if (b == null) {
            return null;
        }
        boolean pass = switch (spec.filter()) {
            case EIF -> true;
            case ADF -> b.sentTo().stream().anyMatch(s -> s.getAddress().equals(from.getAddress()));
            case APDF -> b.sentTo().contains(from);
        };
        return pass ? b.inside() : null;
    }

    /** Hairpinning: the inside endpoint owning {@code publicPort}, if the NAT loops. */
    InetSocketAddress hairpin(int publicPort) {
        Binding b = byPort.get(publicPort);
        return spec.hairpin() && b != null ? b.inside() : null;
    }

    Spec spec() {
        return spec;
    }
}
