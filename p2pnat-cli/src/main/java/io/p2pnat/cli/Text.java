package io.p2pnat.cli;

import java.net.InetSocketAddress;
import java.util.Locale;

/** How the CLI prints endpoints and durations, in its text and JSON output alike. */
final class Text {
    private Text() {
    }

    /** "192.0.2.1:1234" or "[2001:db8::1]:1234" (never a DNS lookup); null for null. */
    static String endpoint(InetSocketAddress a) {
        if (a == null) {
            return null;
        }
        String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** Milliseconds, rounded to 0.01, for reports. */
    static double millis(long nanos) {
        return Math.round(nanos / 10_000.0) / 100.0;
    }

    /** Seconds with one decimal, "1.2". */
    static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e9);
    }
}
