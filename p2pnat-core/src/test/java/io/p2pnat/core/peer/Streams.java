package io.p2pnat.core.peer;

import io.p2pnat.core.Signaling;
import io.p2pnat.core.testnet.TestNet;
import io.p2pnat.core.testnet.TestNet.Packet;
import io.p2pnat.core.testnet.TestNet.PeerNode;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunParseException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Helpers for tests that run numbered application messages over a session and classify packets. */
final class Streams {
    private Streams() {
    }

    /** One side of a numbered message stream: what it sent (number to send time). */
    static final class Sender {
        final PeerNode from;
        final long session;
        final String tag;
        final TreeMap<Integer, Long> sentAt = new TreeMap<>();
        final List<Integer> refused = new ArrayList<>();
        private int next;

        Sender(PeerNode from, long session, String tag) {
            this.from = from;
            this.session = session;
            this.tag = tag;
        }

        void sendNext(TestNet net) {
            int n = next++;
            if (from.agent.send(net.now(), session, (tag + ":" + n).getBytes(StandardCharsets.UTF_8))) {
                sentAt.put(n, net.now());
            } else {
                refused.add(n);
            }
        }
    }

    /** Schedules {@code count} sends every {@code period} on each sender, starting one period from now. */
    static void run(TestNet net, Duration period, int count, Sender... senders) {
        int[] left = {count};
        net.every(period, () -> {
            for (Sender s : senders) {
                s.sendNext(net);
            }
            return --left[0] > 0;
        });
    }

    /** How many times each message number tagged {@code tag} arrived at {@code at} (number to copies). */
    static Map<Integer, Integer> received(PeerNode at, long session, String tag) {
        Map<Integer, Integer> copies = new HashMap<>();
        for (PeerEvent.Data d : at.events(PeerEvent.Data.class)) {
            String text = new String(d.payload(), StandardCharsets.UTF_8);
            if (d.sessionId() == session && text.startsWith(tag + ":")) {
                copies.merge(Integer.parseInt(text.substring(tag.length() + 1)), 1, Integer::sum);
            }
        }
        return copies;
    }

    static String text(PeerEvent.Data d) {
        return new String(d.payload(), StandardCharsets.UTF_8);
    }

    /** A frame the server's native relay forwarded with application data inside. */
    static boolean isRelayedData(Packet p) {
        byte[] d = p.data();
        return d.length > 9 && d[0] == Signaling.RELAY_FRAME && d[9] == Signaling.DATA_FRAME;
    }

    static boolean isData(byte[] d) {
        return d.length >= 9 && d[0] == Signaling.DATA_FRAME;
    }

    /** A peer-to-peer check (STUN Binding request carrying a USERNAME), not a Binding to the server. */
    static boolean isCheckRequest(byte[] d) {
        StunMessage m = stun(d);
        return m != null && m.method() == io.p2pnat.wire.StunMethod.BINDING && m.messageClass() == StunClass.REQUEST
                && m.has(io.p2pnat.wire.StunAttributeType.USERNAME);
    }

    /** The STUN method of a datagram, or -1. */
    static int method(byte[] d) {
        StunMessage m = stun(d);
        return m == null ? -1 : m.method();
    }

    static StunMessage stun(byte[] d) {
        try {
            return StunMessage.looksLikeStun(d, 0, d.length) ? StunMessage.decode(d) : null;
        } catch (StunParseException e) {
            return null;
        }
    }
}
