package io.p2pnat.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.sim.NatConfig.Allocation;
import io.p2pnat.sim.NatConfig.Behaviour;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The simulated TCP: segments through the NAT models, the host stack's opens, resets and byte streams. */
class TcpStackTest {
    /** A host with only a TCP stack, recording what it hears. */
    static final class StackHost extends Host implements TcpStack.Listener {
        final TcpStack stack;
        final List<String> events = new ArrayList<>();
        final ByteArrayOutputStream received = new ByteArrayOutputStream();

        StackHost(SimNet net, String name, String ip, Nat behind, Link link) {
            super(net, name, SimNet.ip(ip), behind == null ? net.internet : behind.inside, link);
            stack = new TcpStack(net, this, new Random(name.hashCode()));
            stack.listener(this);
            realm.addHost(this.ip, this);
        }

        @Override
        boolean listens(int port) {
            return false;
        }

        @Override
        void receive(long now, int port, InetSocketAddress from, byte[] data) {
        }

        @Override
        long nextTimeout() {
            return stack.nextTimeout();
        }

        @Override
        void timeout(long now) {
            stack.timeout(now);
        }

        @Override
        void flush(long now) {
        }

        @Override
        TcpStack tcpStack() {
            return stack;
        }

        TcpStack.Conn connect(int port, String to) {
            TcpStack.Conn c = stack.connect(net.now(), port, SimNet.ep(to));
            net.touch(this);
            return c;
        }

        void write(TcpStack.Conn c, byte[] b) {
            stack.write(net.now(), c, b);
            net.touch(this);
        }

        @Override
        public void connected(long now, TcpStack.Conn c) {
            events.add("connected");
        }

        @Override
        public void connectFailed(long now, TcpStack.Conn c, boolean refused) {
            events.add(refused ? "refused" : "timeout");
        }

        @Override
        public void accepted(long now, TcpStack.Conn c) {
            events.add("accepted");
        }

        @Override
        public void data(long now, TcpStack.Conn c, byte[] bytes) {
            received.write(bytes, 0, bytes.length);
        }

        @Override
        public void finished(long now, TcpStack.Conn c) {
            events.add("fin");
        }

        @Override
        public void reset(long now, TcpStack.Conn c) {
            events.add("reset");
        }
    }

    private static final NatConfig EIM_APDF = NatConfig.of(Behaviour.ENDPOINT_INDEPENDENT, Behaviour.ADDRESS_AND_PORT_DEPENDENT,
            Allocation.PRESERVING);

    @Test
    void crossingSynsBothEstablishThroughPortRestrictedNats() {
        SimNet net = new SimNet(1);
        Nat na = net.nat("nat-a", "192.0.2.1", null, Link.ms(10), EIM_APDF);
        Nat nb = net.nat("nat-b", "192.0.2.254", null, Link.ms(10), EIM_APDF);
        StackHost a = new StackHost(net, "a", "10.0.0.1", na, Link.ms(5));
        StackHost b = new StackHost(net, "b", "10.1.1.3", nb, Link.ms(5));
        a.stack.listen(1234);
        b.stack.listen(1234);
        TcpStack.Conn ca = a.connect(1234, "192.0.2.254:1234");
        TcpStack.Conn cb = b.connect(1234, "192.0.2.1:1234");
        net.runFor(Duration.ofSeconds(1));
        assertEquals(List.of("connected"), a.events, "simultaneous open, no accept");
        assertEquals(List.of("connected"), b.events);
        a.write(ca, "over the punched stream".getBytes());
        b.write(cb, "and back".getBytes());
        net.runFor(Duration.ofSeconds(1));
        assertEquals("over the punched stream", b.received.toString());
        assertEquals("and back", a.received.toString());
    }

    @Test
    void unsolicitedSynIsDroppedByDefault() {
        SimNet net = new SimNet(2);
        Nat n = net.nat("nat", "192.0.2.1", null, Link.ms(10), EIM_APDF);
        StackHost inside = new StackHost(net, "in", "10.0.0.1", n, Link.ms(5));
        inside.stack.listen(1234);
        StackHost out = new StackHost(net, "out", "192.0.2.77", null, Link.ms(10));
        out.connect(4000, "192.0.2.1:1234");
        net.runFor(Duration.ofMillis(900));
        assertEquals(List.of(), out.events);
        assertEquals(1L, net.drops().get("tcp no mapping"));
    }

    @Test
    void unsolicitedSynIsAnsweredWithRstWhenConfigured() {
        SimNet net = new SimNet(3);
        Nat n = net.nat("nat", "192.0.2.1", null, Link.ms(10), EIM_APDF.withTcpRst(true));
        StackHost inside = new StackHost(net, "in", "10.0.0.1", n, Link.ms(5));
        inside.stack.listen(1234);
        StackHost out = new StackHost(net, "out", "192.0.2.77", null, Link.ms(10));
        out.connect(4000, "192.0.2.1:1234");
        net.runFor(Duration.ofMillis(100));
        assertEquals(List.of("refused"), out.events);
        assertEquals(List.of(), inside.events);
    }

    @Test
    void closedPortAnswersRstAndListenerAccepts() {
        SimNet net = new SimNet(4);
        StackHost a = new StackHost(net, "a", "192.0.2.10", null, Link.ms(10));
        StackHost b = new StackHost(net, "b", "192.0.2.20", null, Link.ms(10));
        a.connect(5000, "192.0.2.20:80");
        net.runFor(Duration.ofMillis(100));
        assertEquals(List.of("refused"), a.events);
        b.stack.listen(80);
        a.connect(5000, "192.0.2.20:80");
        net.runFor(Duration.ofMillis(100));
        assertEquals(List.of("refused", "connected"), a.events);
        assertEquals(List.of("accepted"), b.events);
    }

    @Test
    void lossyLinkStillDeliversBytesInOrder() {
        SimNet net = new SimNet(5);
        StackHost a = new StackHost(net, "a", "192.0.2.10", null, Link.ms(10).withLoss(0.2).withJitter(Duration.ofMillis(5)));
        StackHost b = new StackHost(net, "b", "192.0.2.20", null, Link.ms(10));
        b.stack.listen(80);
        TcpStack.Conn c = a.connect(5000, "192.0.2.20:80");
        assertTrue(net.runUntil(() -> a.events.contains("connected"), Duration.ofSeconds(30)));
        byte[] data = new byte[20_000];
        new Random(9).nextBytes(data);
        a.write(c, data);
        assertTrue(net.runUntil(() -> b.received.size() == data.length, Duration.ofSeconds(60)));
        assertArrayEquals(data, b.received.toByteArray());
    }
}
