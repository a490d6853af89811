package io.p2pnat.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A tiny UDP (and a little TCP) tool run inside a lab namespace (a separate JVM).
 *
 * <p>Arguments: UDP sockets to bind, each {@code <port>} (wildcard address) or {@code <ip>:<port>}
 * (a socket bound to one address sends from that address, which a host with two addresses needs);
 * {@code --reflect}: answer a datagram starting with {@code WHOAMI} with {@code YOU <ip>:<port>},
 * the source it observed (a STUN-like reflector); {@code --tcp-reflect <port>}: accept TCP on the
 * port and write {@code YOU <ip>:<port>\n} to each connection, then close it.
 *
 * <p>Prints {@code ready} once everything is bound, and {@code recv <socket> <ip>:<port> <payload>}
 * for every datagram, {@code <socket>} as given on the command line. Reads commands from stdin
 * until end of input:
 * <ul>
 *   <li>{@code send <socket> <ip> <port> <payload>};
 *   <li>{@code tcp <localPort> <ip> <port> <tag>}: connect from {@code localPort} (1 s timeout),
 *       read one line, print {@code tcp <tag> ok <line>} or {@code tcp <tag> error <exception>};
 *   <li>{@code ping <ip> <port> <n> <tag>}: from a fresh socket, send {@code WHOAMI} to a reflector
 *       {@code n} times, one at a time, and print {@code ping <tag> <rtt ms> ...}, the round trips
 *       timed in this JVM ({@code lost} for an answer not back within 1 s);
 *   <li>{@code blast <socket> <ip> <port> <n> <tag>}: send {@code n} datagrams {@code <tag> <i>},
 *       five per millisecond at most (so a receiver that prints each keeps up), then print
 *       {@code blast <tag> done}.
 * </ul>
 */
public final class UdpProbe {
    private static final int TCP_TIMEOUT_MILLIS = 1000;

    private UdpProbe() {}

    public static void main(String[] args) throws IOException {
        boolean reflect = false;
        Map<String, DatagramSocket> sockets = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--reflect")) {
                reflect = true;
            } else if (arg.equals("--tcp-reflect")) {
                ServerSocket server = new ServerSocket();
                server.setReuseAddress(true);
                server.bind(new InetSocketAddress(Integer.parseInt(args[++i])));
                daemon("tcp-reflect", () -> tcpReflect(server));
            } else {
                int colon = arg.lastIndexOf(':');
                InetSocketAddress bind = colon < 0 ? new InetSocketAddress(Integer.parseInt(arg))
                        : new InetSocketAddress(arg.substring(0, colon), Integer.parseInt(arg.substring(colon + 1)));
                sockets.put(arg, new DatagramSocket(bind));
            }
        }
        for (Map.Entry<String, DatagramSocket> e : sockets.entrySet()) {
            boolean reflecting = reflect;
            daemon("recv-" + e.getKey(), () -> receive(e.getKey(), e.getValue(), reflecting));
        }
        print("ready");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.trim().split(" ", 5);
            String[] b = line.trim().split(" ");
            if (b.length == 6 && b[0].equals("blast") && sockets.containsKey(b[1])) {
                blast(sockets.get(b[1]), new InetSocketAddress(b[2], Integer.parseInt(b[3])), Integer.parseInt(b[4]), b[5]);
            } else if (f.length == 5 && f[0].equals("send") && sockets.containsKey(f[1])) {
                byte[] payload = f[4].getBytes(StandardCharsets.UTF_8);
                sockets.get(f[1]).send(
                        new DatagramPacket(payload, payload.length, new InetSocketAddress(f[2], Integer.parseInt(f[3]))));
            } else if (f.length == 5 && f[0].equals("ping")) {
                ping(f[1], Integer.parseInt(f[2]), Integer.parseInt(f[3]), f[4]);
            } else if (f.length == 5 && f[0].equals("tcp")) {
                daemon("tcp-" + f[4], () -> tcpConnect(Integer.parseInt(f[1]), f[2], Integer.parseInt(f[3]), f[4]));
            } else {
                print("error unknown command: " + line);
            }
        }
        System.exit(0);
    }

    private static void receive(String name, DatagramSocket socket, boolean reflect) {
        byte[] buffer = new byte[2048];
        try {
            while (true) {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                socket.receive(packet);
                String from = packet.getAddress().getHostAddress() + ":" + packet.getPort();
                String payload = new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8);
                print("recv " + name + " " + from + " " + payload);
                if (reflect && payload.startsWith("WHOAMI")) {
                    byte[] answer = ("YOU " + from).getBytes(StandardCharsets.UTF_8);
                    socket.send(new DatagramPacket(answer, answer.length, packet.getSocketAddress()));
                }
            }
        } catch (SocketException e) {
            // closed
        } catch (IOException e) {
            print("error " + e);
        }
    }

    private static void ping(String ip, int port, int n, String tag) throws IOException {
        StringBuilder line = new StringBuilder("ping " + tag);
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(TCP_TIMEOUT_MILLIS);
            InetSocketAddress to = new InetSocketAddress(ip, port);
            byte[] buffer = new byte[2048];
            for (int i = 0; i < n; i++) {
                byte[] payload = ("WHOAMI " + tag + " " + i).getBytes(StandardCharsets.UTF_8);
                long sent = System.nanoTime();
                socket.send(new DatagramPacket(payload, payload.length, to));
                try {
                    socket.receive(new DatagramPacket(buffer, buffer.length));
                    line.append(' ').append((System.nanoTime() - sent) / 1e6);
                } catch (java.net.SocketTimeoutException e) {
                    line.append(" lost");
                }
            }
        }
        print(line.toString());
    }

    private static void blast(DatagramSocket socket, InetSocketAddress to, int n, String tag) throws IOException {
        for (int i = 0; i < n; i++) {
            byte[] payload = (tag + " " + i).getBytes(StandardCharsets.UTF_8);
            socket.send(new DatagramPacket(payload, payload.length, to));
            if (i % 5 == 4) {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        print("blast " + tag + " done");
    }

    private static void tcpReflect(ServerSocket server) {
        while (true) {
            try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                String from = s.getInetAddress().getHostAddress() + ":" + s.getPort();
                out.write(("YOU " + from + "\n").getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                print("error tcp-reflect " + e);
            }
        }
    }

    private static void tcpConnect(int localPort, String ip, int port, String tag) {
        try (Socket s = new Socket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(localPort));
            s.connect(new InetSocketAddress(ip, port), TCP_TIMEOUT_MILLIS);
            s.setSoTimeout(TCP_TIMEOUT_MILLIS);
            String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
            print("tcp " + tag + " ok " + line);
        } catch (IOException e) {
            print("tcp " + tag + " error " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static void daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
    }

    private static synchronized void print(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
