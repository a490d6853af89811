package io.p2pnat.core.peer;

import io.p2pnat.core.Timers;
import io.p2pnat.core.Transmit;
import io.p2pnat.wire.TransactionId;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;

/**
 * Birthday punching for a random-port, per-destination NAT facing an endpoint-independent one.
 * The hard side opens many sockets and sends from each toward the easy side's public endpoint,
 * so its NAT holds many random public ports that accept the easy side. The easy side probes
 * random ports of the hard side's public address. With 256 open ports and 1,024 probes over
 * 64,512 ports the chance of no hit is (1 - 256/64512)^1024, about 2%; we send up to 2,048.
 *
 * <p>RFC 5128 §6.2: every probe is an authenticated check, goes only to the one address the
 * server vouched for, and is paced (1,000 per second), with a hard cap on the total.
 *
 * <p>A side's probes are one STUN transaction sent to many destinations: the same transaction
 * id and the same authenticated bytes, built once. The answer's source endpoint (and the socket
 * it reaches) names the path that worked, so a per-probe id would tell us nothing more; building
 * and MACing each of up to 2,048 probes (or 256 x 12 spray packets) separately was most of a
 * birthday punch's CPU.
 *
 * <p>The hard side sprays once, and again only if nothing came in for a second. A round adds no
 * port: it re-sends from the same 256 mappings, which a NAT keeps for tens of seconds, so
 * rounds every 500 ms (as before) only repeated traffic toward a stranger. The later rounds stay
 * for a spray lost before its NAT, or an easy side whose NAT filters by address and dropped the
 * first round because it arrived before the easy side's first probe had left.
 *
 * <p>The easy side visits ports in a random affine order, {@code offset + i * stride} modulo the
 * port range with {@code stride} prime to it: every probe a new port, as a random draw without
 * repetition would give (the hard side's ports are random, so any order of distinct ports hits
 * as often), without remembering the ports probed.
 */
final class Birthday {
    static final int HARD_SOCKETS = 256;
    static final int MAX_PROBES = 2048;
    static final long PROBE_GAP = 1_000_000L;
    /**
     * Probes go out in bursts of 16 every 16 ms, still 1,000 per second: a finer pace (4 every
     * 4 ms before) only woke the peer more often, and a burst of 16 x 88 B is nothing to a link.
     */
    static final int PROBES_PER_TICK = 16;
    static final long SPRAY_GAP = 1_000_000_000L;
    static final int SPRAY_ROUNDS = 3;
    static final int LOW_PORT = 1024;
    /** Ports a probe may go to: {@link #LOW_PORT} to 65535; 64,512 = 2^10 x 3^2 x 7. */
    static final int PORT_RANGE = 65536 - LOW_PORT;
    /** How long the whole probe run takes at most: the relay waits for it. */
    static final long WINDOW = 2_500_000_000L;
    /**
     * Plain punching gets this long first: against a NAT that filters by address only (or not
     * at all) it works without the spray, which then never starts. Not when the easy side's NAT
     * is known to filter by port ({@link Introduction#birthdayCertain}): plain punching cannot
     * work there, and both sides start at once.
     */
    static final long HEAD_START = 100_000_000L;

    private final boolean hard;
    private final int firstSocket;
    private final InetSocketAddress remotePublic;
    /** The easy side's probe order: port i is {@code offset + i * stride} (0: not drawn yet). */
    private int stride;
    private int offset;
    /** The one transaction all our probes (or spray packets) belong to, and its bytes; null until the first. */
    private TransactionId tid;
    private byte[] packet;
    private int probes;
    private int rounds;
    private long due;
    private boolean stopped;

    private Birthday(boolean hard, int firstSocket, InetSocketAddress remotePublic, long now, boolean certain) {
        this.hard = hard;
        this.firstSocket = firstSocket;
        this.remotePublic = remotePublic;
        this.due = certain ? now : now + HEAD_START;
    }

    /**
     * The random-port side: {@link #HARD_SOCKETS} extra sockets from {@code firstSocket} on.
     * {@code certain}: plain punching cannot work (see {@link #HEAD_START}).
     */
    static Birthday hard(int firstSocket, InetSocketAddress easyPublic, long now, boolean certain) {
        return new Birthday(true, firstSocket, easyPublic, now, certain);
    }

    /** The endpoint-independent side: probes random ports of the hard side's address. */
    static Birthday easy(InetSocketAddress hardPublic, long now, boolean certain) {
        return new Birthday(false, 0, hardPublic, now, certain);
    }

    boolean isHard() {
        return hard;
    }

    int firstSocket() {
        return firstSocket;
    }

    /** Whether local socket {@code socket} is one of our spray sockets (the hard side). */
    boolean ownsSocket(int socket) {
        return hard && socket >= firstSocket && socket < firstSocket + HARD_SOCKETS;
    }

    /** Our spray sockets (the hard side; none on the easy side) but {@code keep}. */
    List<Integer> socketsBut(int keep) {
        List<Integer> ids = new ArrayList<>();
        if (hard) {
            for (int i = 0; i < HARD_SOCKETS; i++) {
                if (firstSocket + i != keep) {
                    ids.add(firstSocket + i);
                }
            }
        }
        return ids;
    }

    /** Whether {@code t} is our probes' transaction (answers after {@link #stop} are not). */
    boolean owns(TransactionId t) {
        return tid != null && !stopped && tid.equals(t);
    }

    /**
     * The hard side heard a probe: a path through one of its mappings works both ways (the easy
     * side sent to it, so the answer gets in), and the triggered check confirms it. Further spray
     * rounds would only send 256 more packets toward an unverified endpoint (RFC 5128 §6.2).
     */
    void probeArrived() {
        if (hard) {
            due = Timers.NEVER;
        }
    }

    void stop() {
        stopped = true;
        due = Timers.NEVER;
    }

    long nextTimeout() {
        return stopped ? Timers.NEVER : due;
    }

    /** Sends what is due; {@code check} builds an authenticated check for a transaction id. */
    void onTimeout(long now, Random random, java.util.function.Function<TransactionId, byte[]> check, Queue<Transmit> out) {
        if (stopped || now < due) {
            return;
        }
        if (tid == null) {
            tid = TransactionId.random(random);
            packet = check.apply(tid);
        }
        if (hard) {
            for (int i = 0; i < HARD_SOCKETS; i++) {
                out.add(new Transmit(remotePublic, packet, firstSocket + i));
            }
            rounds++;
            due = rounds >= SPRAY_ROUNDS ? Timers.NEVER : now + SPRAY_GAP;
            return;
        }
        if (stride == 0) {
            offset = random.nextInt(PORT_RANGE);
            do { // prime to the range, and not so small that the ports would look like a scan
                stride = PORT_RANGE / 4 + random.nextInt(PORT_RANGE / 2);
            } while (stride % 2 == 0 || stride % 3 == 0 || stride % 7 == 0);
        }
        for (int i = 0; i < PROBES_PER_TICK && probes < MAX_PROBES; i++) {
            int port = LOW_PORT + (int) ((offset + (long) stride * probes) % PORT_RANGE);
            probes++;
            out.add(new Transmit(new InetSocketAddress(remotePublic.getAddress(), port), packet));
        }
        due = probes >= MAX_PROBES ? Timers.NEVER : now + PROBE_GAP * PROBES_PER_TICK;
    }

    int probesSent() {
        return probes;
    }
}
