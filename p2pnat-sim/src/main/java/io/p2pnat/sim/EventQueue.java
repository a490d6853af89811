package io.p2pnat.sim;

import java.util.ArrayList;
import java.util.PriorityQueue;
import java.util.TreeMap;

/**
 * The simulator's agenda: a calendar queue (Brown, CACM 1988) that yields events in exactly the
 * order of a priority queue on (time, sequence number), at O(1) cost per event instead of a
 * heap's O(log n) cache misses, which dominate once a run holds hundreds of thousands of events.
 *
 * <p>Time is cut into slots of {@value #SLOT_BITS}-bit nanoseconds (about 131 µs); a wheel of
 * {@value #WHEEL} slots (about 4.3 s: links, pacing, retransmissions, closes) holds unsorted lists.
 * Events further ahead (keepalives, mapping sweeps, a peer's wake-ups) wait in coarse buckets of
 * {@value #SPAN} slots each, kept in creation order, and a whole bucket moves into the wheel when
 * it comes within reach: appending beats a heap of a hundred thousand timers, whose insertions
 * were 6% of a population run. The slot being drained is sorted once; events added to it
 * afterwards (mostly for "now") wait in a small heap, merged on the way out, so every event still
 * runs in (time, sequence) order. A slot's list is already in sequence order (events join it as
 * they are made, and far events move in before anything else can join their slot), so loading
 * it is a stable sort by time: a primitive sort of (offset in slot, index) pairs.
 *
 * @param <E> the event type
 */
final class EventQueue<E extends EventQueue.Timed> {
    /** An event's place in the order: time, then sequence number (unique, increasing). */
    interface Timed {
        long at();

        long seq();
    }

    static final int SLOT_BITS = 17;
    static final int WHEEL = 1 << 15;
    /** The slots one far bucket covers: half the wheel, so a bucket moves in whole. */
    static final int SPAN = WHEEL / 2;
    private static final int MASK = WHEEL - 1;

    private final java.util.Comparator<E> order = (a, b) ->
            a.at() != b.at() ? Long.compare(a.at(), b.at()) : Long.compare(a.seq(), b.seq());
    @SuppressWarnings("unchecked")
    private final ArrayList<E>[] wheel = new ArrayList[WHEEL];
    /** The current slot's events, sorted when the slot was loaded, consumed from {@code head}. */
    private ArrayList<E> loaded = new ArrayList<>();
    private int head;
    /** Events added for the current slot after it was loaded (mostly "now"): a small heap. */
    private final PriorityQueue<E> late = new PriorityQueue<>(order);
    /**
     * Events at slot {@code fineLimit} or later, by bucket (slot / {@link #SPAN}), each in creation
     * order; everything earlier is in the wheel (or loaded). {@code fineLimit} is a multiple of
     * {@link #SPAN} and at most {@code currentSlot + WHEEL}, so the wheel's slots never collide.
     */
    private final TreeMap<Long, ArrayList<E>> far = new TreeMap<>();
    private long fineLimit = WHEEL;
    private long lastFarKey = -1;
    private ArrayList<E> lastFar;
    private long currentSlot;
    private int inWheel;
    private int size;

    void add(E e) {
        long slot = e.at() >>> SLOT_BITS;
        size++;
        if (slot <= currentSlot) {
            late.add(e);
        } else if (slot < fineLimit) {
            toWheel(e, slot);
        } else {
            long k = slot / SPAN;
            if (k != lastFarKey) {
                lastFar = far.computeIfAbsent(k, x -> new ArrayList<>());
                lastFarKey = k;
            }
            lastFar.add(e);
        }
    }

    private void toWheel(E e, long slot) {
        int i = (int) (slot & MASK);
        ArrayList<E> bucket = wheel[i];
        if (bucket == null) {
            bucket = new ArrayList<>(4);
            wheel[i] = bucket;
        }
        bucket.add(e);
        inWheel++;
    }

    /** Moves the far buckets now within the wheel's reach into it, in creation order. */
    private void refill() {
        while (fineLimit + SPAN <= currentSlot + WHEEL) {
            ArrayList<E> b = far.remove(fineLimit / SPAN);
            if (b != null) {
                if (lastFar == b) {
                    lastFarKey = -1;
                    lastFar = null;
                }
                for (E e : b) {
                    toWheel(e, e.at() >>> SLOT_BITS);
                }
            }
            fineLimit += SPAN;
        }
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    /** The earliest event without removing it, or null. */
    E peek() {
        if (size == 0) {
            return null;
        }
        if (head == loaded.size() && late.isEmpty()) {
            advance();
        }
        E a = head < loaded.size() ? loaded.get(head) : null;
        E b = late.peek();
        return a == null ? b : b == null || order.compare(a, b) < 0 ? a : b;
    }

    /** Removes and returns the earliest event, or null. */
    E poll() {
        E e = peek();
        if (e != null) {
            if (head < loaded.size() && loaded.get(head) == e) {
                loaded.set(head++, null);
            } else {
                late.poll();
            }
            size--;
        }
        return e;
    }

    private long[] sortKeys = new long[256];
    private Object[] sortTmp = new Object[256];

    /** Sorts the loaded slot by time, keeping sequence order among equal times (see above). */
    @SuppressWarnings("unchecked")
    private void sortLoaded() {
        int n = loaded.size();
        if (n < 2) {
            return;
        }
        if (n >= 1 << 24) {
            loaded.sort(order);
            return;
        }
        if (sortKeys.length < n) {
            sortKeys = new long[Integer.highestOneBit(n) * 2];
            sortTmp = new Object[sortKeys.length];
        }
        long base = currentSlot << SLOT_BITS;
        boolean sorted = true;
        long previous = -1;
        for (int i = 0; i < n; i++) {
            long k = (loaded.get(i).at() - base) << 24 | i;
            sortKeys[i] = k;
            sorted &= k > previous;
            previous = k;
        }
        if (sorted) {
            return;
        }
        java.util.Arrays.sort(sortKeys, 0, n);
        for (int i = 0; i < n; i++) {
            sortTmp[i] = loaded.get((int) (sortKeys[i] & 0xFFFFFF));
        }
        for (int i = 0; i < n; i++) {
            loaded.set(i, (E) sortTmp[i]);
            sortTmp[i] = null;
        }
    }

    /** Moves to the next slot holding events (the current one is drained) and loads it. */
    private void advance() {
        if (inWheel == 0 && !far.isEmpty()) {
            // Nothing near: jump to just before the first far bucket and bring it in.
            long start = far.firstKey() * SPAN;
            currentSlot = Math.max(currentSlot, start - 1);
            fineLimit = Math.max(fineLimit, start);
            refill();
        }
        if (inWheel == 0) {
            loaded.clear();
            head = 0;
            return;
        }
        long next = currentSlot + 1;
        while (true) {
            ArrayList<E> b = wheel[(int) (next & MASK)];
            if (b != null && !b.isEmpty()) {
                break;
            }
            next++;
        }
        currentSlot = next;
        int i = (int) (next & MASK);
        ArrayList<E> b = wheel[i];
        // Swap the bucket in as the loaded list; the drained list becomes the empty bucket.
        inWheel -= b.size();
        loaded.clear();
        wheel[i] = loaded;
        loaded = b;
        sortLoaded();
        head = 0;
        refill();
    }
}
