package io.p2pnat.core;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How much a server may send to a source IP address that has not authenticated (RFC 5128 §6.2:
 * "size- and rate-limit traffic to unverified addresses"), so that it cannot be used to amplify a
 * reflection attack: answers must not carry more bytes than the requests that caused them.
 *
 * <p><b>The rule.</b> Per source IP address the budget keeps a ledger: bytes of unauthenticated
 * requests received minus bytes of answers sent. An answer of {@code s} bytes may go if, after
 * crediting the request, the ledger stays at or above zero. Since a plain STUN Binding request
 * (RFC 8489: 20 bytes, 28 with FINGERPRINT) gets a larger success response (32 / 40 bytes for
 * IPv4, 44 / 52 for IPv6), a strict ledger would leave every standard STUN client unanswered; so
 * a source that has not used it for {@link #QUIET} may go into debt by up to {@link #ALLOWANCE}
 * bytes (one allowance per quiet period), and debt is forgiven at {@link #DEBT_RECOVERY} bytes per
 * second. Consequences:
 * <ul>
 *   <li>a client asking once in a while (one Binding, or a Binding every few seconds) is always
 *       answered at once;</li>
 *   <li>a flood from one address is answered only from its own bytes: after its first answer
 *       (at most {@link #ALLOWANCE} bytes over) the ledger returns to zero or above and stays
 *       there, so bytes out ≤ bytes in over the flood. In the long run a source gets at most
 *       {@code in + ALLOWANCE + DEBT_RECOVERY × seconds}: 4 bytes per second per address;</li>
 *   <li>a client that wants many answers in a burst (our NAT check) pads its requests (RFC 5780
 *       §7.6 PADDING) to the size of the answers, and is then never limited.</li>
 * </ul>
 * RFC 5780 §7.6 PADDING is answered with a response no larger than the request; nothing ever
 * requires it of a standard client.
 *
 * <p><b>Error answers</b> (to unknown ids, bad requests, TURN challenges) are already no larger
 * than their request; on top of the ledger they are rate-limited per source address: a burst of
 * {@link #ERROR_BURST}, then {@link #ERROR_RATE} per second (configurable: TURN, whose clients
 * legitimately open many allocations from one address, allows more).
 *
 * <p><b>Bounded state.</b> At most {@code maxSources} addresses are remembered (least recently
 * seen evicted first); an evicted address starts over with a fresh allowance, so an attacker who
 * churns the table through spoofed addresses gains at most {@link #ALLOWANCE} bytes per victim per
 * eviction. Authenticated traffic never passes through here. Budgets are per server object: a
 * process running several answering services (rendezvous, alternate port, RFC 5780 responder) may
 * share one. Thread-safe (one lock).
 */
public final class SourceBudget {
    /** Bytes an answer may exceed the source's requests by, once per {@link #QUIET}. */
    public static final int ALLOWANCE = 64;
    /** Nanoseconds after an allowance is used before the next one can be. */
    public static final long QUIET = 1_000_000_000L;
    /** Debt forgiven per second. */
    public static final int DEBT_RECOVERY = 4;
    /** Request bytes a source can bank for later answers, at most. */
    public static final int CREDIT_CAP = 4096;
    /** Error answers a source may get in a burst. */
    public static final int ERROR_BURST = 8;
    /** Error answers a source may get per second after the burst. */
    public static final int ERROR_RATE = 4;
    /** Default number of source addresses remembered. */
    public static final int DEFAULT_MAX_SOURCES = 4096;

    private static final long SECOND = 1_000_000_000L;

    private static final class Entry {
        long ledger;
        long allowanceAt = Long.MIN_VALUE;
        long touchedAt;
        /** Error tokens, one per SECOND units. */
        long errorCredit;
    }

    private final int maxSources;
    private final int errorBurst;
    private final int errorRate;
    private final LinkedHashMap<InetAddress, Entry> sources;
    private long denied;

    public SourceBudget() {
        this(DEFAULT_MAX_SOURCES, ERROR_BURST, ERROR_RATE);
    }

    /**
     * @param maxSources addresses remembered at most (1 or more)
     * @param errorBurst error answers a source may get in a burst (1 or more)
     * @param errorRate  error answers a source may get per second after the burst (1 or more)
     */
    public SourceBudget(int maxSources, int errorBurst, int errorRate) {
        if (maxSources < 1 || errorBurst < 1 || errorRate < 1 || errorBurst > 1_000_000 || errorRate > 1_000_000) {
            throw new IllegalArgumentException("bad limits: " + maxSources + " sources, burst " + errorBurst
                    + ", rate " + errorRate);
        }
        this.maxSources = maxSources;
        this.errorBurst = errorBurst;
        this.errorRate = errorRate;
        this.sources = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<InetAddress, Entry> eldest) {
                return size() > SourceBudget.this.maxSources;
            }
        };
    }

    /**
     * Accounts an unauthenticated request of {@code requestLen} bytes from {@code source} and says
     * whether a (success) answer of {@code answerLen} bytes may be sent; if so, it is charged.
     */
    public synchronized boolean answer(long now, InetAddress source, int requestLen, int answerLen) {
        Entry e = touch(now, source, requestLen);
        return charge(now, e, answerLen);
    }

    /**
     * Like {@link #answer} for an error answer, which must also be no larger than the request and
     * within the source's error rate.
     */
    public synchronized boolean error(long now, InetAddress source, int requestLen, int answerLen) {
        Entry e = touch(now, source, requestLen);
        if (answerLen > requestLen || e.errorCredit < SECOND) {
            denied++;
            return false;
        }
        if (!charge(now, e, answerLen)) {
            return false;
        }
        e.errorCredit -= SECOND;
        return true;
    }

    /** Source addresses remembered. */
    public synchronized int size() {
        return sources.size();
    }

    /** Answers refused so far. */
    public synchronized long denied() {
        return denied;
    }

    private boolean charge(long now, Entry e, int answerLen) {
        long after = e.ledger - answerLen;
        if (after >= 0) {
            e.ledger = after;
            return true;
        }
        if (after >= -ALLOWANCE && (e.allowanceAt == Long.MIN_VALUE || now - e.allowanceAt >= QUIET)) {
            e.ledger = after;
            e.allowanceAt = now;
            return true;
        }
        denied++;
        return false;
    }

    private Entry touch(long now, InetAddress source, int requestLen) {
        Entry e = sources.get(source);
        if (e == null) {
            e = new Entry();
            e.touchedAt = now;
            e.errorCredit = errorBurst * SECOND;
            sources.put(source, e);
        } else if (now > e.touchedAt) {
            long elapsed = now - e.touchedAt;
            e.touchedAt = now;
            if (e.ledger < 0) {
                e.ledger = Math.min(0, e.ledger + DEBT_RECOVERY * (elapsed / SECOND)
                        + DEBT_RECOVERY * (elapsed % SECOND) / SECOND);
            }
            // errorRate tokens per second; elapsed capped so the product cannot overflow.
            long gain = Math.min(elapsed, 1_000 * SECOND) * errorRate;
            e.errorCredit = Math.min(errorBurst * SECOND, e.errorCredit + gain);
        }
        e.ledger = Math.min(CREDIT_CAP, e.ledger + Math.max(0, requestLen));
        return e;
    }
}
