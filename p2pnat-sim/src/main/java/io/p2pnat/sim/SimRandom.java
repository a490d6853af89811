package io.p2pnat.sim;

import java.util.Random;

/**
 * {@link Random}'s very sequence (the same 48-bit linear congruential generator, so a seed
 * gives the same numbers and a run the same trace) without its atomic seed: the simulator
 * runs each network on one thread, and the compare-and-set on every draw was 1% of a
 * population run.
 */
final class SimRandom extends Random {
    private static final long serialVersionUID = 1L;
    private static final long MULTIPLIER = 0x5DEECE66DL;
    private static final long ADDEND = 0xBL;
    private static final long MASK = (1L << 48) - 1;

    private long state;

    /** Random's constructor seeds a subclass through {@link #setSeed}, which sets our state. */
    SimRandom(long seed) {
        super(seed);
    }

    @Override
    public synchronized void setSeed(long seed) {
        super.setSeed(seed);
        state = (seed ^ MULTIPLIER) & MASK;
    }

    @Override
    protected int next(int bits) {
        state = (state * MULTIPLIER + ADDEND) & MASK;
        return (int) (state >>> (48 - bits));
    }
}
