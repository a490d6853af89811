package io.p2pnat.cli;

import io.p2pnat.core.Signaling;
import io.p2pnat.core.rendezvous.KeyProofs;
import io.p2pnat.core.secure.Identity;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import io.p2pnat.wire.TransactionId;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A test program for an on-path attacker on the lab's Internet (RFC 5128 §6.3): it has a capture
 * of the traffic between a victim's NAT and the server, and sends from its own address. It
 * <ol>
 *   <li>forges a REGISTER for the victim's id with its own fresh identity key, after doing the
 *       cookie round trip for its own address itself, and once more claiming the victim's real
 *       key (taken from the capture) with a proof it cannot make;</li>
 *   <li>replays every captured datagram from the victim to the server ({@code rounds} times);</li>
 *   <li>then listens on its socket until killed.</li>
 * </ol>
 * One line per event on stdout: {@code captured N M1,M2,...}, {@code forged-own-key CODE REASON}
 * (or {@code ... SUCCESS}), {@code forged-victim-key CODE REASON}, {@code replayed N},
 * {@code answer METHOD CLASS CODE own|foreign}, {@code listening}, {@code rx FROM LEN WHAT}.
 *
 * <p>Usage: {@code OnPathAttacker PCAP VICTIM_IP SERVER_IP SERVER_PORT BIND_IP BIND_PORT VICTIM_ID ROUNDS}.
 */
public final class OnPathAttacker {
    private OnPathAttacker() {
    }

    /** A UDP datagram from a capture; {@code micros} is the capture time since the epoch. */
    record Datagram(long micros, String src, int srcPort, String dst, int dstPort, byte[] payload) {
    }

    public static void main(String[] args) throws Exception {
        Path pcap = Path.of(args[0]);
        String victim = args[1];
        InetSocketAddress server = new InetSocketAddress(InetAddress.getByName(args[2]), Integer.parseInt(args[3]));
        InetSocketAddress bind = new InetSocketAddress(InetAddress.getByName(args[4]), Integer.parseInt(args[5]));
        String victimId = args[6];
        int rounds = Integer.parseInt(args[7]);
        PrintStream out = System.out;

        // Every distinct datagram the victim's NAT sent to the server (the switch sees each several times).
        Map<String, byte[]> captured = new LinkedHashMap<>();
        for (Datagram d : udp(Files.readAllBytes(pcap))) {
            if (d.src().equals(victim) && d.dst().equals(server.getAddress().getHostAddress())
                    && d.dstPort() == server.getPort()) {
                captured.putIfAbsent(HexFormat.of().formatHex(d.payload()), d.payload());
            }
        }
        List<String> kinds = new ArrayList<>();
        byte[] victimKey = null;
        for (byte[] p : captured.values()) {
            StunMessage m = StunMessage.decode(p);
            kinds.add(StunMethod.name(m.method()));
            if (m.method() == StunMethod.REGISTER && m.has(StunAttributeType.STATIC_KEY)) {
                victimKey = m.bytes(StunAttributeType.STATIC_KEY).orElseThrow();
            }
        }
        say(out, "captured " + captured.size() + " " + String.join(",", kinds));

        SecureRandom random = new SecureRandom();
        Set<TransactionId> own = new HashSet<>();
        try (DatagramSocket socket = new DatagramSocket(bind)) {
            // 1. A REGISTER for the victim's id with our own key, cookie round trip done ourselves.
            Identity mine = Identity.generate();
            StunMessage challenge = ask(socket, server, own, register(random, victimId, bind, null, null, null), out);
            if (challenge == null || !challenge.has(StunAttributeType.COOKIE)) {
                say(out, "forged-own-key no-challenge " + challenge);
            } else {
                byte[] cookie = challenge.bytes(StunAttributeType.COOKIE).orElseThrow();
                byte[] serverKey = challenge.bytes(StunAttributeType.SERVER_KEY).orElseThrow();
                byte[] proof = KeyProofs.proof(mine, serverKey, cookie, victimId);
                StunMessage a = ask(socket, server, own, register(random, victimId, bind, cookie, mine.publicKey(), proof), out);
                say(out, "forged-own-key " + describe(a));
                // 2. The victim's real key (from the capture), with the only proof we can make: ours.
                if (victimKey != null) {
                    StunMessage c2 = ask(socket, server, own, register(random, victimId, bind, null, null, null), out);
                    byte[] cookie2 = c2 == null ? cookie : c2.bytes(StunAttributeType.COOKIE).orElse(cookie);
                    byte[] proof2 = KeyProofs.proof(mine, serverKey, cookie2, victimId);
                    StunMessage b = ask(socket, server, own, register(random, victimId, bind, cookie2, victimKey, proof2), out);
                    say(out, "forged-victim-key " + describe(b));
                }
            }

            // 3. Replay everything captured, several times.
            socket.setSoTimeout(300);
            int sent = 0;
            for (int r = 0; r < rounds; r++) {
                for (byte[] p : captured.values()) {
                    own.add(StunMessage.decode(p).transactionId());
                    socket.send(new DatagramPacket(p, p.length, server));
                    sent++;
                    Thread.sleep(20);
                }
                drain(socket, own, out);
            }
            say(out, "replayed " + sent);

            // 4. Whatever arrives from now on was sent to us by someone else's choice.
            socket.setSoTimeout(0);
            say(out, "listening");
            byte[] buf = new byte[65535];
            while (true) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                say(out, "rx " + p.getAddress().getHostAddress() + ":" + p.getPort() + " " + p.getLength() + " "
                        + what(buf, p.getLength(), own));
            }
        }
    }

    private static byte[] register(SecureRandom random, String id, InetSocketAddress self, byte[] cookie, byte[] key,
                                   byte[] proof) {
        StunMessage.Builder b = StunMessage.builder(StunMethod.REGISTER, StunClass.REQUEST, TransactionId.random(random))
                .addString(StunAttributeType.PEER_ID, id)
                .addXorAddress(StunAttributeType.PRIVATE_ENDPOINT, self);
        if (cookie != null) {
            b.addAttribute(StunAttributeType.COOKIE, cookie);
            b.addAttribute(StunAttributeType.STATIC_KEY, key);
            b.addAttribute(StunAttributeType.KEY_PROOF, proof);
        }
        int size = b.build().encode(null, true).length;
        if (size < Signaling.MIN_REGISTER_SIZE) {
            b.addAttribute(Signaling.PADDING, new byte[Signaling.MIN_REGISTER_SIZE - size - 4]);
        }
        return b.build().encode(null, true);
    }

    /** Sends a request (up to three times) and returns the answer with its transaction id, or null. */
    private static StunMessage ask(DatagramSocket socket, InetSocketAddress server, Set<TransactionId> own, byte[] req,
                                   PrintStream out) throws Exception {
        TransactionId tid = StunMessage.decode(req).transactionId();
        own.add(tid);
        socket.setSoTimeout(1000);
        byte[] buf = new byte[65535];
        for (int attempt = 0; attempt < 3; attempt++) {
            socket.send(new DatagramPacket(req, req.length, server));
            long until = System.currentTimeMillis() + 1000;
            while (System.currentTimeMillis() < until) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    socket.receive(p);
                } catch (SocketTimeoutException e) {
                    break;
                }
                say(out, "answer " + what(buf, p.getLength(), own));
                StunMessage m = decode(buf, p.getLength());
                if (m != null && m.transactionId().equals(tid)) {
                    return m;
                }
            }
        }
        return null;
    }

    private static void drain(DatagramSocket socket, Set<TransactionId> own, PrintStream out) throws Exception {
        byte[] buf = new byte[65535];
        while (true) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
            } catch (SocketTimeoutException e) {
                return;
            }
            say(out, "answer " + what(buf, p.getLength(), own));
        }
    }

    private static String describe(StunMessage m) {
        if (m == null) {
            return "none";
        }
        if (m.messageClass() == StunClass.SUCCESS_RESPONSE) {
            return "SUCCESS";
        }
        return m.errorCode().orElse(0) + " " + m.errorReason().orElse("").replace(' ', '_');
    }

    /** {@code METHOD CLASS CODE own|foreign} for STUN, {@code frame 0xNN} otherwise. */
    private static String what(byte[] buf, int len, Set<TransactionId> own) {
        StunMessage m = decode(buf, len);
        if (m == null) {
            return String.format("frame 0x%02x", buf[0] & 0xff);
        }
        return StunMethod.name(m.method()) + " " + m.messageClass() + " " + m.errorCode().orElse(0) + " "
                + (own.contains(m.transactionId()) ? "own" : "foreign");
    }

    private static StunMessage decode(byte[] buf, int len) {
        try {
            return StunMessage.looksLikeStun(buf, 0, len) ? StunMessage.decode(buf, 0, len) : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static void say(PrintStream out, String line) {
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }

    /**
     * The IPv4 UDP datagrams of a classic pcap file (either byte order, micro- or nanosecond
     * timestamps) with link type Ethernet (1), Linux cooked SLL (113) or SLL2 (276); a truncated
     * last record (a capture still running) is ignored.
     */
    static List<Datagram> udp(byte[] pcap) {
        List<Datagram> out = new ArrayList<>();
        if (pcap.length < 24) {
            return out;
        }
        ByteBuffer b = ByteBuffer.wrap(pcap).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt(0);
        if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
            b.order(ByteOrder.BIG_ENDIAN);
            magic = b.getInt(0);
        }
        boolean nanos = magic == 0xa1b23c4d;
        int linkType = b.getInt(20) & 0x0fffffff;
        int at = 24;
        while (at + 16 <= pcap.length) {
            long sec = b.getInt(at) & 0xffffffffL;
            long frac = b.getInt(at + 4) & 0xffffffffL;
            int incl = b.getInt(at + 8);
            if (incl < 0 || at + 16 + incl > pcap.length) {
                break;
            }
            int start = at + 16;
            at = start + incl;
            int ethertype;
            int ip;
            switch (linkType) {
                case 1 -> {
                    ethertype = u16(pcap, start + 12);
                    ip = start + 14;
                }
                case 113 -> {
                    ethertype = u16(pcap, start + 14);
                    ip = start + 16;
                }
                case 276 -> {
                    ethertype = u16(pcap, start);
                    ip = start + 20;
                }
                default -> throw new IllegalArgumentException("pcap link type " + linkType + " not handled");
            }
            if (ethertype != 0x0800 || ip + 20 > at || (pcap[ip] >> 4) != 4 || pcap[ip + 9] != 17) {
                continue;
            }
            int ihl = (pcap[ip] & 0x0f) * 4;
            int udp = ip + ihl;
            if (udp + 8 > at) {
                continue;
            }
            int udpLen = u16(pcap, udp + 4);
            int end = Math.min(at, udp + udpLen);
            if (end < udp + 8) {
                continue;
            }
            byte[] payload = java.util.Arrays.copyOfRange(pcap, udp + 8, end);
            out.add(new Datagram(sec * 1_000_000L + (nanos ? frac / 1000 : frac), ipv4(pcap, ip + 12), u16(pcap, udp),
                    ipv4(pcap, ip + 16), u16(pcap, udp + 2), payload));
        }
        return out;
    }

    private static int u16(byte[] a, int i) {
        return ((a[i] & 0xff) << 8) | (a[i + 1] & 0xff);
    }

    private static String ipv4(byte[] a, int i) {
        return (a[i] & 0xff) + "." + (a[i + 1] & 0xff) + "." + (a[i + 2] & 0xff) + "." + (a[i + 3] & 0xff);
    }
}
