package io.p2pnat.core.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.Transmit;
import io.p2pnat.core.discovery.ChangeRequest;
import io.p2pnat.core.discovery.FilteringBehaviour;
import io.p2pnat.wire.StunAttributeType;
import io.p2pnat.wire.StunClass;
import io.p2pnat.wire.StunMessage;
import io.p2pnat.wire.StunMethod;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** RFC 5780 §4.4 filtering tests as {@link FilteringProbe} runs and reads them. */
class FilteringProbeTest {
    private static final InetSocketAddress SERVER = new InetSocketAddress("192.0.2.128", 20001);
    private static final InetSocketAddress ALT_PORT = new InetSocketAddress("192.0.2.128", 20002);
    private static final InetSocketAddress OTHER = new InetSocketAddress("192.0.2.129", 20002);
    private static final long MS = 1_000_000L;

    private final ArrayDeque<Transmit> out = new ArrayDeque<>();

    private FilteringProbe start(boolean changeIp) {
        FilteringProbe p = new FilteringProbe();
        p.start(0, SERVER, changeIp, 50 * MS, new Random(1), out, 5);
        return p;
    }

    /** The request sent with these CHANGE-REQUEST flags. */
    private StunMessage sent(boolean changeIp) throws Exception {
        for (Transmit t : out) {
            StunMessage m = StunMessage.decode(t.payload());
            ChangeRequest c = ChangeRequest.of(m);
            if (c != null && c.changeIp() == changeIp && c.changePort()) {
                assertEquals(SERVER, t.destination(), "every test goes to the primary endpoint (its only hole)");
                assertEquals(5, t.socket(), "from the probe's own fresh socket");
                return m;
            }
        }
        throw new AssertionError("no request with change IP " + changeIp + " in " + out.size());
    }

    private static StunMessage answer(StunMessage request, boolean ok) {
        return StunMessage.builder(StunMethod.BINDING, ok ? StunClass.SUCCESS_RESPONSE : StunClass.ERROR_RESPONSE,
                request.transactionId()).addXorAddress(StunAttributeType.XOR_MAPPED_ADDRESS, SERVER).build();
    }

    @Test
    void anAnswerFromTheOtherAddressMeansEndpointIndependentFiltering() throws Exception {
        FilteringProbe p = start(true);
        StunMessage both = sent(true);
        assertTrue(p.owns(both));
        assertTrue(p.onAnswer(answer(both, true), OTHER), "nothing stricter left to learn");
        assertEquals(FilteringBehaviour.ENDPOINT_INDEPENDENT, p.result());
        assertFalse(p.inFlight());
    }

    @Test
    void onlyTheAlternatePortGettingInMeansAddressDependentFiltering() throws Exception {
        FilteringProbe p = start(true);
        assertFalse(p.onAnswer(answer(sent(false), true), ALT_PORT), "the other address may still answer");
        assertFalse(p.onTimeout(150 * MS, out));
        assertTrue(p.onTimeout(p.nextTimeout(), out));
        assertEquals(FilteringBehaviour.ADDRESS_DEPENDENT, p.result());
    }

    @Test
    void silenceMeansAddressAndPortDependentFilteringAfterOneResend() throws Exception {
        FilteringProbe p = start(true);
        assertEquals(2, out.size());
        long resend = p.nextTimeout();
        assertFalse(p.onTimeout(resend, out));
        assertEquals(4, out.size(), "each request sent twice against loss");
        assertTrue(p.onTimeout(p.nextTimeout(), out));
        assertEquals(FilteringBehaviour.ADDRESS_AND_PORT_DEPENDENT, p.result());
        assertTrue(p.nextTimeout() == io.p2pnat.core.Timers.NEVER);
    }

    @Test
    void withoutASecondAddressThePortTestDecidesAlone() throws Exception {
        FilteringProbe p = start(false);
        assertEquals(1, out.size());
        assertTrue(p.onAnswer(answer(sent(false), true), ALT_PORT));
        assertEquals(FilteringBehaviour.ADDRESS_DEPENDENT, p.result(), "address-dependent or looser");
    }

    @Test
    void aServerThatCannotChangeOrIgnoresTheRequestTeachesNothing() throws Exception {
        FilteringProbe p = start(true);
        StunMessage both = sent(true);
        StunMessage port = sent(false);
        assertFalse(p.onAnswer(answer(both, false), SERVER), "420: no second address");
        assertTrue(p.onAnswer(answer(port, true), SERVER), "answered from the primary port: CHANGE-REQUEST ignored");
        assertEquals(FilteringBehaviour.UNKNOWN, p.result(), "an unchanged source proves nothing about filtering");
    }

    @Test
    void answersToOtherTransactionsAreNotOurs() throws Exception {
        FilteringProbe p = start(true);
        StunMessage stranger = StunMessage.builder(StunMethod.BINDING, StunClass.SUCCESS_RESPONSE,
                io.p2pnat.wire.TransactionId.random(new Random(9))).build();
        assertFalse(p.owns(stranger));
        assertFalse(new FilteringProbe().owns(stranger), "not started");
        List.of(sent(true), sent(false)).forEach(m -> assertTrue(p.owns(m)));
    }
}
