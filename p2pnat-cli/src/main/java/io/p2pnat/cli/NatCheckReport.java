package io.p2pnat.cli;

import io.p2pnat.peer.NatReport;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** `natcheck` output: one sentence per finding for people, one flat JSON object for scripts. */
final class NatCheckReport {
    private NatCheckReport() {
    }

    /**
     * The JSON object: {@code mapping}, {@code filtering}, {@code hairpinning} (true, false or null
     * when not applicable), {@code portAllocation}, {@code portDelta} (sequential only),
     * {@code tcpUnsolicited} ({@code drop}, {@code rst}, {@code none}, {@code icmp}, or null when not
     * tested), {@code publicAddress}, {@code natDetected}, {@code holePunching}, and for the curious
     * the server's addresses, the new mappings' ports, skipped tests and notes.
     */
    static Json json(NatReport r) {
        Json j = new Json()
                .put("server", Text.endpoint(r.server()))
                .put("otherAddress", Text.endpoint(r.otherAddress()))
                .put("localAddress", Text.endpoint(r.local()))
                .put("publicAddress", Text.endpoint(r.publicAddress()))
                .put("natDetected", r.ok() ? r.natDetected() : null)
                .put("mapping", r.mapping().wireName())
                .put("filtering", r.filtering().wireName())
                .put("hairpinning", r.hairpinning())
                .put("portAllocation", r.portAllocation().wireName())
                .put("portDelta", r.portDelta())
                .put("newMappingPorts", r.newMappingPorts().stream().map(String::valueOf).collect(Collectors.joining(",")))
                .put("tcpUnsolicited", r.tcpUnsolicited() == null ? null : r.tcpUnsolicited().wireName())
                .put("tcpPublicAddress", Text.endpoint(r.tcpPublicAddress()))
                .put("holePunching", r.holePunching().wireName())
                .put("skipped", r.skipped().isEmpty() ? null : String.join(",", r.skipped()))
                .put("notes", r.notes().isEmpty() ? null : String.join(" | ", r.notes()))
                .put("durationMs", Text.millis(r.durationNanos()));
        if (!r.ok()) {
            j.put("error", r.error());
        }
        return j;
    }

    /** Lines for a person: what was found, and what it means for connecting. */
    static List<String> human(NatReport r) {
        List<String> out = new ArrayList<>();
        out.add("natcheck against " + Text.endpoint(r.server())
                + (r.otherAddress() == null ? "" : " (other address " + Text.endpoint(r.otherAddress()) + ")")
                + " in " + Text.seconds(r.durationNanos()) + " s");
        if (!r.ok()) {
            return out; // the error itself is the one line on stderr, as for every command
        }
        out.add("");
        row(out, "Public address", Text.endpoint(r.publicAddress()) + " (local " + Text.endpoint(r.local()) + ")",
                r.natDetected() ? "You are behind a NAT: the server sees another address than your own."
                        : "No NAT: the server sees your own address and port.");
        row(out, "Mapping", r.mapping().wireName(), mapping(r));
        row(out, "Filtering", r.filtering().wireName(), filtering(r));
        row(out, "Hairpinning", r.hairpinning() == null ? "n/a" : r.hairpinning() ? "yes" : "no", hairpinning(r));
        row(out, "Port allocation", r.portAllocation().wireName()
                + (r.portDelta() == null ? "" : String.format(" (delta %+d)", r.portDelta())), allocation(r));
        row(out, "TCP unsolicited", r.tcpUnsolicited() == null ? "not tested" : r.tcpUnsolicited().wireName(), tcp(r));
        row(out, "Hole punching", r.holePunching().wireName(), verdict(r));
        if (!r.skipped().isEmpty()) {
            out.add("");
            out.add("Not run: " + skipped(r));
        }
        for (String note : r.notes()) {
            out.add("Note: " + note);
        }
        return out;
    }

    private static void row(List<String> out, String name, String value, String sentence) {
        out.add(String.format("%-16s %s", name, value));
        out.add(String.format("%-16s %s", "", sentence));
    }

    private static String mapping(NatReport r) {
        if (!r.natDetected() && r.mapping() == NatReport.Mapping.ENDPOINT_INDEPENDENT) {
            return "Your address is the same for every destination, so peers can use what the server saw.";
        }
        return switch (r.mapping()) {
            case ENDPOINT_INDEPENDENT -> "Your NAT keeps the same public port for every destination (endpoint-independent"
                    + " mapping), so UDP hole punching can work.";
            case ADDRESS_DEPENDENT -> "Your NAT gives every destination address its own public port (address-dependent"
                    + " mapping): a peer cannot use the endpoint the server saw, so plain hole punching fails.";
            case ADDRESS_AND_PORT_DEPENDENT -> "Your NAT gives every destination address and port its own public port"
                    + " (address-and-port-dependent mapping, a \"symmetric NAT\"): a peer cannot use the endpoint the"
                    + " server saw, so plain hole punching fails.";
            case DEPENDENT -> "Your NAT gives every destination its own public port: a peer cannot use the endpoint"
                    + " the server saw, so plain hole punching fails.";
            case UNKNOWN -> "The mapping behaviour could not be determined (see the notes below).";
        };
    }

    private static String filtering(NatReport r) {
        return switch (r.filtering()) {
            case ENDPOINT_INDEPENDENT -> "Once you have sent from a port, anyone can send to it (endpoint-independent"
                    + " filtering): peers reach you without punching.";
            case ADDRESS_DEPENDENT -> "Only hosts you have sent to can answer, from any of their ports"
                    + " (address-dependent filtering): the peer must be sent to first, which hole punching does.";
            case ADDRESS_AND_PORT_DEPENDENT -> "Only the exact address and port you sent to can answer"
                    + " (address-and-port-dependent filtering): both sides must send at once, which hole punching does.";
            case UNKNOWN -> "The filtering behaviour could not be determined (see below).";
        };
    }

    private static String hairpinning(NatReport r) {
        if (r.hairpinning() == null) {
            return "Not applicable: there is no NAT to loop packets back.";
        }
        return r.hairpinning()
                ? "Your NAT loops packets sent to its own public address back inside (hairpinning): peers behind the"
                        + " same NAT, even behind further NATs, can reach each other through their public endpoints."
                : "Your NAT does not loop packets sent to its own public address back inside (no hairpinning): peers"
                        + " behind the same NAT must use their private addresses.";
    }

    private static String allocation(NatReport r) {
        return switch (r.portAllocation()) {
            case PRESERVING -> "New mappings keep the local port as the public port (port preservation).";
            case SEQUENTIAL -> String.format("New mappings take successive public ports, %+d each time (sequential"
                    + " allocation): the next port can be predicted (RFC 5128 §3.5).", r.portDelta());
            case RANDOM -> "New mappings get unrelated public ports (random allocation): ports cannot be predicted.";
            case UNKNOWN -> "Too few new mappings were seen to tell how ports are chosen.";
        };
    }

    private static String tcp(NatReport r) {
        if (r.tcpUnsolicited() == null) {
            return r.skipped().contains("tcp") ? "The TCP test could not run (see below)." : "The TCP test was not run.";
        }
        return switch (r.tcpUnsolicited()) {
            case DROP -> "An unsolicited SYN to your TCP mapping is silently dropped: good for TCP hole punching"
                    + " (simultaneous open).";
            case RST -> "An unsolicited SYN to your TCP mapping is answered with a reset (RST), which can abort TCP"
                    + " hole punching unless both sides' SYNs cross within a round trip.";
            case NONE -> "An unsolicited SYN to your TCP mapping got through to you: your NAT does not filter it.";
            case ICMP -> "An unsolicited SYN to your TCP mapping is answered with an ICMP error.";
        };
    }

    private static String verdict(NatReport r) {
        return switch (r.holePunching()) {
            case NOT_NEEDED -> "You are directly reachable: peers can connect to you without hole punching.";
            case WORKS -> "UDP hole punching should work with peers behind most NATs.";
            case PORT_PREDICTION -> "Plain hole punching fails, but port prediction can work because your NAT's next"
                    + " port is predictable; otherwise the server relays.";
            case UNLIKELY -> "Hole punching works only with peers that have no NAT or a NAT that lets anyone in;"
                    + " otherwise the server relays your sessions.";
            case UNKNOWN -> "Not enough was measured for a verdict.";
        };
    }

    private static String skipped(NatReport r) {
        List<String> parts = new ArrayList<>();
        for (String s : r.skipped()) {
            parts.add(switch (s) {
                case "mapping-ip" -> "mapping tests II/III (need a server with a second IP address: p2pnat server --alt-ip)";
                case "mapping-port" -> "the alternate-port mapping test (the server has no alternate port)";
                case "filtering-ip" -> "filtering test II, answer from another address (needs a second server address)";
                case "filtering-port" -> "filtering test III, answer from another port";
                case "tcp" -> r.otherAddress() == null ? "the TCP test (needs a second server address)"
                        : "the TCP test (see the notes)";
                default -> s;
            });
        }
        return String.join("; ", parts) + ".";
    }
}
