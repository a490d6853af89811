package io.p2pnat.cli;

import io.p2pnat.peer.Connection;
import io.p2pnat.peer.ConnectionInfo;
import io.p2pnat.peer.IdentityFile;
import io.p2pnat.peer.Peer;
import io.p2pnat.peer.StreamConnection;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

/**
 * A test program for the lab: dials a peer with the library and echoes messages that contain a
 * known plaintext marker, so a packet capture can prove the marker never crosses the wire in the
 * clear (RFC 5128 §6.3). Afterwards it sends one unencrypted UDP datagram carrying
 * {@link #CONTROL} to a control endpoint, which the capture must see (it proves the capture sees
 * payload bytes on that path). Prints one JSON line like {@code peer dial --json}, plus
 * {@code sent}, {@code echoed} and {@code control}.
 *
 * <p>Usage: {@code MarkerDial SERVER ID PEER udp|tcp COUNT KEYFILE LOCALPORT CONTROL_IP:PORT}.
 */
public final class MarkerDial {
    /** What every message carries; must never appear on the wire. */
    static final String MARKER = "P2PNAT-PLAINTEXT-MARKER";
    /** What the control datagram carries, in the clear. */
    static final String CONTROL = "P2PNAT-CONTROL-CLEARTEXT";

    private MarkerDial() {
    }

    public static void main(String[] args) throws Exception {
        String server = args[0];
        String id = args[1];
        String target = args[2];
        boolean tcp = args[3].equals("tcp");
        int count = Integer.parseInt(args[4]);
        Path key = Path.of(args[5]);
        int localPort = Integer.parseInt(args[6]);
        String[] control = args[7].split(":");
        Json j;
        try (Peer peer = Peer.builder().server(server).id(id).localPort(localPort)
                .identity(IdentityFile.loadOrCreateKey(key)).relay(true).tcp(tcp).start()) {
            Duration wait = Duration.ofSeconds(10);
            int echoed = 0;
            ConnectionInfo info;
            if (tcp) {
                StreamConnection c = peer.dialTcpStream(target, wait, null);
                info = c.info();
                InputStream in = c.inputStream();
                OutputStream out = c.outputStream();
                for (int i = 0; i < count; i++) {
                    byte[] m = message(i);
                    out.write(m);
                    out.flush();
                    if (Arrays.equals(in.readNBytes(m.length), m)) {
                        echoed++;
                    }
                }
                c.close();
            } else {
                Connection c = peer.dial(target, wait, null);
                info = c.initialInfo();
                for (int i = 0; i < count; i++) {
                    byte[] m = message(i);
                    for (int attempt = 0; attempt < 5; attempt++) {
                        c.send(m);
                        byte[] back = c.receive(Duration.ofMillis(500));
                        while (back != null && !Arrays.equals(back, m)) {
                            back = c.receive(Duration.ofMillis(100)); // a late echo of an earlier resend
                        }
                        if (back != null) {
                            echoed++;
                            break;
                        }
                    }
                }
                c.close();
            }
            j = ConnectionJson.describe(new Json().put("connected", true), info).put("sent", count).put("echoed", echoed);
        }
        try (DatagramSocket s = new DatagramSocket()) {
            byte[] b = (CONTROL + " sent in the clear on purpose").getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 3; i++) { // a positive control must not hinge on one datagram
                s.send(new DatagramPacket(b, b.length, new java.net.InetSocketAddress(control[0], Integer.parseInt(control[1]))));
                Thread.sleep(20);
            }
        }
        j.put("control", true);
        System.out.println(j);
        System.out.flush();
    }

    /** Message {@code i}: the marker several times over, numbered, about 120 bytes. */
    static byte[] message(int i) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < 4; k++) {
            sb.append(MARKER).append(' ').append(i).append(' ');
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
