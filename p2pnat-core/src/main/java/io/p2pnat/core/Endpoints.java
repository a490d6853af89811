package io.p2pnat.core;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** Parsing and printing of endpoints ("IP:port", "[v6]:port"), RFC 5128 §2's (IP, port) pair. */
public final class Endpoints {
    private Endpoints() {
    }

    /** "192.0.2.1:1234" or "[2001:db8::1]:1234"; never does a DNS lookup. */
    public static String format(InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        String host = ip == null ? a.getHostString() : ip.getHostAddress();
        if (host.indexOf(':') >= 0) {
            return "[" + host + "]:" + a.getPort();
        }
        return host + ":" + a.getPort();
    }

    /**
     * Parses "host[:port]". Hostnames are resolved (this is for user input, not packets).
     *
     * @throws IllegalArgumentException with a message fit for a user
     */
    public static InetSocketAddress parse(String text, int defaultPort) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty address");
        }
        String host = text.trim();
        int port = defaultPort;
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            if (end < 0) {
                throw new IllegalArgumentException("bad address '" + text + "': missing ']'");
            }
            String rest = host.substring(end + 1);
            host = host.substring(1, end);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("bad address '" + text + "'");
                }
                port = parsePort(rest.substring(1), text);
            }
        } else {
            int colon = host.lastIndexOf(':');
            if (colon >= 0 && host.indexOf(':') == colon) {
                port = parsePort(host.substring(colon + 1), text);
                host = host.substring(0, colon);
            }
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("bad address '" + text + "': missing host");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("unknown host '" + host + "'");
        }
    }

    private static int parsePort(String p, String whole) {
        try {
            int port = Integer.parseInt(p);
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("bad port in '" + whole + "': must be 1-65535");
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in '" + whole + "': not a number");
        }
    }
}
