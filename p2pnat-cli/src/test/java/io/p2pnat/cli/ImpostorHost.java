package io.p2pnat.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;

/**
 * A test program for the lab's {@code impostor} host (RFC 5128 §6.1: a host on our LAN that owns
 * the peer's private address). On a port (UDP and TCP), it answers everything as eagerly as it
 * can: every STUN-framed datagram gets a well-formed Binding success response (same transaction
 * id, XOR-MAPPED-ADDRESS of the sender) and, when the request had another method, a success
 * response of that method as well; any other datagram is echoed; every TCP connection is accepted
 * and echoed. One line per event on stdout: {@code ready}, {@code udp FROM LEN stun|echo},
 * {@code tcp accept FROM}, {@code tcp closed FROM BYTES}.
 *
 * <p>Usage: {@code ImpostorHost PORT}.
 */
public final class ImpostorHost {
    static final int MAGIC_COOKIE = 0x2112A442;

    private ImpostorHost() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        PrintStream out = System.out;
        DatagramSocket udp = new DatagramSocket(null);
        udp.setReuseAddress(true);
        udp.bind(new InetSocketAddress(port));
        ServerSocket tcp = new ServerSocket();
        tcp.setReuseAddress(true);
        tcp.bind(new InetSocketAddress(port), 64);
        Thread acceptor = new Thread(() -> acceptLoop(tcp, out), "impostor-tcp");
        acceptor.setDaemon(true);
        acceptor.start();
        say(out, "ready");
        byte[] buf = new byte[65535];
        while (true) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            udp.receive(p);
            InetSocketAddress from = (InetSocketAddress) p.getSocketAddress();
            byte[] in = java.util.Arrays.copyOfRange(p.getData(), p.getOffset(), p.getOffset() + p.getLength());
            if (isStun(in)) {
                int type = ((in[0] & 0xff) << 8) | (in[1] & 0xff);
                udp.send(new DatagramPacket(successResponse(0x0101, in, from), 32, from));
                int sameMethod = (type & ~0x0110) | 0x0100;
                if (sameMethod != 0x0101) {
                    udp.send(new DatagramPacket(successResponse(sameMethod, in, from), 32, from));
                }
                say(out, "udp " + from.getAddress().getHostAddress() + ":" + from.getPort() + " " + in.length + " stun");
            } else {
                udp.send(new DatagramPacket(in, in.length, from));
                say(out, "udp " + from.getAddress().getHostAddress() + ":" + from.getPort() + " " + in.length + " echo");
            }
        }
    }

    /** RFC 8489 §5: two zero bits, the magic cookie, a length that fits the datagram. */
    static boolean isStun(byte[] m) {
        if (m.length < 20 || (m[0] & 0xc0) != 0) {
            return false;
        }
        int length = ((m[2] & 0xff) << 8) | (m[3] & 0xff);
        return ByteBuffer.wrap(m, 4, 4).getInt() == MAGIC_COOKIE && length + 20 <= m.length;
    }

    /** A 32-byte success response: header with {@code request}'s transaction id, then XOR-MAPPED-ADDRESS. */
    static byte[] successResponse(int type, byte[] request, InetSocketAddress mapped) {
        ByteBuffer b = ByteBuffer.allocate(32);
        b.putShort((short) type).putShort((short) 12).putInt(MAGIC_COOKIE).put(request, 8, 12);
        byte[] ip = ((Inet4Address) mapped.getAddress()).getAddress();
        b.putShort((short) 0x0020).putShort((short) 8).put((byte) 0).put((byte) 1)
                .putShort((short) (mapped.getPort() ^ (MAGIC_COOKIE >>> 16)))
                .putInt(ByteBuffer.wrap(ip).getInt() ^ MAGIC_COOKIE);
        return b.array();
    }

    private static void acceptLoop(ServerSocket tcp, PrintStream out) {
        while (true) {
            Socket s;
            try {
                s = tcp.accept();
            } catch (IOException e) {
                return;
            }
            String from = s.getInetAddress().getHostAddress() + ":" + s.getPort();
            say(out, "tcp accept " + from);
            Thread t = new Thread(() -> {
                long n = 0;
                try (s; InputStream in = s.getInputStream(); OutputStream o = s.getOutputStream()) {
                    byte[] buf = new byte[16384];
                    int r;
                    while ((r = in.read(buf)) > 0) {
                        o.write(buf, 0, r);
                        o.flush();
                        n += r;
                    }
                } catch (IOException e) {
                    // the dialer gave up on us
                }
                say(out, "tcp closed " + from + " " + n);
            }, "impostor-echo");
            t.setDaemon(true);
            t.start();
        }
    }

    private static void say(PrintStream out, String line) {
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }
}
