package io.p2pnat.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A tiny UDP tool run inside a lab namespace (a separate JVM). Binds the given ports on the
 * wildcard address and prints {@code recv <localPort> <ip>:<port> <payload>} for every datagram.
 * With {@code --reflect}, answers a datagram starting with {@code WHOAMI} with
 * {@code YOU <ip>:<port>}, the source it observed (a STUN-like reflector). Reads commands from
 * stdin: {@code send <localPort> <ip> <port> <payload>}; exits at end of input.
 * Prints {@code ready} once all ports are bound.
 */
public final class UdpProbe {
    private UdpProbe() {}

    public static void main(String[] args) throws IOException {
        boolean reflect = false;
        Map<Integer, DatagramSocket> sockets = new LinkedHashMap<>();
        for (String arg : args) {
            if (arg.equals("--reflect")) {
                reflect = true;
            } else {
                int port = Integer.parseInt(arg);
                sockets.put(port, new DatagramSocket(new InetSocketAddress(port)));
            }
        }
        for (Map.Entry<Integer, DatagramSocket> e : sockets.entrySet()) {
            boolean reflecting = reflect;
            Thread t = new Thread(() -> receive(e.getKey(), e.getValue(), reflecting), "recv-" + e.getKey());
            t.setDaemon(true);
            t.start();
        }
        print("ready");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.trim().split(" ", 5);
            if (f.length == 5 && f[0].equals("send")) {
                byte[] payload = f[4].getBytes(StandardCharsets.UTF_8);
                sockets.get(Integer.parseInt(f[1])).send(
                        new DatagramPacket(payload, payload.length, new InetSocketAddress(f[2], Integer.parseInt(f[3]))));
            } else {
                print("error unknown command: " + line);
            }
        }
        System.exit(0);
    }

    private static void receive(int port, DatagramSocket socket, boolean reflect) {
        byte[] buffer = new byte[2048];
        try {
            while (true) {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                socket.receive(packet);
                String from = packet.getAddress().getHostAddress() + ":" + packet.getPort();
                String payload = new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8);
                print("recv " + port + " " + from + " " + payload);
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

    private static synchronized void print(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
