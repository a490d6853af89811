package io.p2pnat.sim;

import io.p2pnat.core.Timers;
import java.util.Arrays;
import java.util.List;

/**
 * What mapping loss did to a population run's sessions (issue 19; see
 * {@link Population.Settings#withMappingLoss(double)}): NATs rebooted at random while connected
 * sessions carried echoed traffic; how many sessions lost a path, and how many repaired it in
 * place and carried traffic again.
 *
 * @param perNatPerMinute the reboot rate of every NAT (0: no mapping loss, all figures 0)
 * @param natReboots      NAT reboots that happened
 * @param sessions        connected sessions that carried traffic
 * @param lostPath        of those, sessions that lost a path (either side reported {@code PathLost})
 * @param kept            of those, sessions the dialer got an echo on after the last loss, never closed
 * @param outageNanos     per kept session, the longest time between two echoes at the dialer, sorted
 */
public record SessionsKept(double perNatPerMinute, long natReboots, long sessions, long lostPath, long kept,
                           long[] outageNanos) {
    /** A run without mapping loss. */
    public static final SessionsKept NONE = new SessionsKept(0, 0, 0, 0, 0, new long[0]);

    /** Sessions kept of those that lost a path (NaN: none lost one). */
    public double keptRate() {
        return lostPath == 0 ? Double.NaN : (double) kept / lostPath;
    }

    /** The p-th quantile of the kept sessions' outages, in ms (NaN: none). */
    public double outagePercentileMs(double p) {
        if (outageNanos.length == 0) {
            return Double.NaN;
        }
        return Timers.millis(outageNanos[(int) Math.min(outageNanos.length - 1, Math.floor(p * outageNanos.length))]);
    }

    /** The shards' figures as one run's. */
    static SessionsKept merge(List<SessionsKept> parts) {
        long r = 0, s = 0, l = 0, k = 0;
        for (SessionsKept f : parts) {
            r += f.natReboots;
            s += f.sessions;
            l += f.lostPath;
            k += f.kept;
        }
        long[] all = parts.stream().flatMapToLong(f -> Arrays.stream(f.outageNanos)).sorted().toArray();
        return new SessionsKept(parts.isEmpty() ? 0 : parts.get(0).perNatPerMinute, r, s, l, k, all);
    }
}
