package io.p2pnat.core;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a server may send over UDP to a source IP address that has not authenticated (RFC 5128
 * §6.2: "size- and rate-limit traffic to unverified addresses"), so that it is no useful reflector
 * for an attacker who spoofs a victim's address, while every request a standard client
 * legitimately sends first (a bare 20-byte Binding, a browser's 28-byte Allocate that needs its
 * 401, an RFC 5780 test, an RFC 3489 Binding) is answered at once.
 *
 * <p><b>Size: a small answer to a small request.</b> An answer larger than its request may be at
 * most {@link #MAX_RATIO} times the request and at most {@link #MAX_ANSWER_BYTES} bytes; an answer
 * no larger than its request is never refused for its size ({@link #sizeLimit}). The largest
 * answers standard clients get: an RFC 5780 answer over IPv6 to a bare 20-byte Binding (92 bytes,
 * 4.6x); a 401 with reason phrase and FINGERPRINT to a 36-byte Allocate (72 bytes, 2x).
 *
 * <p><b>Rate, per source address.</b> Two token buckets per address: answers (a burst of
 * {@link #ANSWER_BURST}, then {@link #ANSWERS_PER_SECOND}), and the bytes by which answers exceed
 * their requests (a burst of {@link #EXTRA_BURST}, then {@link #EXTRA_PER_SECOND}). A browser
 * gathering candidates sends a handful of requests, a natcheck run a few dozen; hundreds of users
 * behind one carrier-grade NAT address stay far below. A spoofed flood aimed at one victim gets it
 * at most {@link #EXTRA_PER_SECOND} bytes per second more than the attacker sent.
 *
 * <p><b>Rate, for all sources together.</b> One more bucket bounds the excess over all addresses
 * ({@link #GLOBAL_EXTRA_BURST}, then {@link #GLOBAL_EXTRA_PER_SECOND}), so an attacker who spoofs
 * many victims at once (or churns the table, see below) gains at most that from this server.
 *
 * <p>Over TCP and TLS nothing is metered: the handshake proved the source address, and connection
 * quotas bound the rest. Authenticated traffic never passes through here.
 *
 * <p><b>Bounded state.</b> At most {@code maxSources} addresses are remembered (least recently seen
 * evicted first); an evicted address starts again with full buckets, which the global bucket
 * bounds. Budgets are per object: a server shares one among the services answering on its UDP
 * sockets. Thread-safe (one lock).
 */
public final class SourceBudget {
    /** An answer larger than its request is at most this many times the request. */
    public static final int MAX_RATIO = 5;
    /** An answer larger than its request is at most this many bytes. */
    public static final int MAX_ANSWER_BYTES = 128;
    /** Answers a source may get in a burst. */
    public static final int ANSWER_BURST = 512;
    /** Answers a source may get per second after the burst. */
    public static final int ANSWERS_PER_SECOND = 256;
    /** Bytes by which a source's answers may exceed its requests, in a burst. */
    public static final int EXTRA_BURST = 32 * 1024;
    /** Bytes by which a source's answers may exceed its requests, per second after the burst. */
    public static final int EXTRA_PER_SECOND = 16 * 1024;
    /** Excess bytes over all sources, in a burst. */
    public static final long GLOBAL_EXTRA_BURST = 4L << 20;
    /** Excess bytes over all sources, per second after the burst. */
    public static final long GLOBAL_EXTRA_PER_SECOND = 2L << 20;
    /** Default number of source addresses remembered. */
    public static final int DEFAULT_MAX_SOURCES = 16_384;

    private static final long SECOND = 1_000_000_000L;

    private static final class Entry {
        /** Tokens scaled by SECOND, so that refills need no division. */
        long answers;
        long extra;
        long touchedAt;
    }

    private final int maxSources;
    private final long answerBurst;
    private final long answersPerSecond;
    private final LinkedHashMap<InetAddress, Entry> sources;
    private long globalExtra = GLOBAL_EXTRA_BURST * SECOND;
    private long globalTouchedAt = Long.MIN_VALUE;
    private long denied;

    public SourceBudget() {
        this(DEFAULT_MAX_SOURCES);
    }

    /** @param maxSources addresses remembered at most (1 or more) */
    public SourceBudget(int maxSources) {
        this(maxSources, ANSWER_BURST, ANSWERS_PER_SECOND);
    }

    /**
     * @param maxSources       addresses remembered at most (1 or more)
     * @param answerBurst      answers a source may get in a burst (1 or more)
     * @param answersPerSecond answers a source may get per second after the burst (1 or more)
     */
    public SourceBudget(int maxSources, int answerBurst, int answersPerSecond) {
        if (maxSources < 1 || answerBurst < 1 || answersPerSecond < 1 || answerBurst > 1_000_000
                || answersPerSecond > 1_000_000) {
            throw new IllegalArgumentException("bad limits: " + maxSources + " sources, burst " + answerBurst
                    + ", rate " + answersPerSecond);
        }
        this.maxSources = maxSources;
        this.answerBurst = answerBurst;
        this.answersPerSecond = answersPerSecond;
        this.sources = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<InetAddress, Entry> eldest) {
                return size() > SourceBudget.this.maxSources;
            }
        };
    }

    /**
     * The largest answer the size rule allows to a request of {@code requestLen} bytes: the
     * request's own size, or up to {@link #MAX_RATIO} times it but at most {@link #MAX_ANSWER_BYTES}.
     */
    public static int sizeLimit(int requestLen) {
        int len = Math.max(0, requestLen);
        return Math.max(len, (int) Math.min((long) MAX_RATIO * len, MAX_ANSWER_BYTES));
    }

    /**
     * Accounts an unauthenticated request of {@code requestLen} bytes from {@code source} and says
     * whether an answer (success or error) of {@code answerLen} bytes may be sent; if so, it is
     * charged. Refused when the answer breaks the size rule, or the source or the server is out of
     * tokens.
     */
    public synchronized boolean answer(long now, InetAddress source, int requestLen, int answerLen) {
        if (answerLen > sizeLimit(requestLen)) {
            denied++;
            return false;
        }
        Entry e = touch(now, source);
        refillGlobal(now);
        long extra = Math.max(0, answerLen - Math.max(0, requestLen)) * SECOND;
        if (e.answers < SECOND || e.extra < extra || globalExtra < extra) {
            denied++;
            return false;
        }
        e.answers -= SECOND;
        e.extra -= extra;
        globalExtra -= extra;
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

    private void refillGlobal(long now) {
        if (globalTouchedAt != Long.MIN_VALUE && now > globalTouchedAt) {
            long elapsed = Math.min(now - globalTouchedAt, 1_000 * SECOND);
            globalExtra = Math.min(GLOBAL_EXTRA_BURST * SECOND, globalExtra + elapsed * GLOBAL_EXTRA_PER_SECOND);
        }
        if (globalTouchedAt == Long.MIN_VALUE || now > globalTouchedAt) {
            globalTouchedAt = now;
        }
    }

    private Entry touch(long now, InetAddress source) {
        Entry e = sources.get(source);
        if (e == null) {
            e = new Entry();
            e.touchedAt = now;
            e.answers = answerBurst * SECOND;
            e.extra = EXTRA_BURST * SECOND;
            sources.put(source, e);
        } else if (now > e.touchedAt) {
            // elapsed capped so the products cannot overflow
            long elapsed = Math.min(now - e.touchedAt, 1_000 * SECOND);
            e.touchedAt = now;
            e.answers = Math.min(answerBurst * SECOND, e.answers + elapsed * answersPerSecond);
            e.extra = Math.min(EXTRA_BURST * SECOND, e.extra + elapsed * EXTRA_PER_SECOND);
        }
        return e;
    }
}
