package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.p2pnat.core.rendezvous.RendezvousConfig;
import io.p2pnat.server.RendezvousServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** `p2pnat natcheck` on loopback (no NAT): output shapes, exit codes, argument errors. */
class NatCheckCliTest {
    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void jsonAndHumanOutputOnAHostWithoutNat() throws Exception {
        try (RendezvousServer server = RendezvousServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0,
                RendezvousConfig.defaults())) {
            server.enableBehaviorDiscovery(InetAddress.getByName("127.0.0.2"));
            String target = "127.0.0.1:" + server.localAddress().getPort();
            Run json = run("natcheck", "--server", target, "--json");
            assertEquals(0, json.exit(), json.err());
            Map<String, Object> j = Json.parse(json.out().strip());
            assertEquals(false, j.get("natDetected"), json.out());
            assertEquals("endpoint-independent", j.get("mapping"));
            assertEquals("endpoint-independent", j.get("filtering"));
            assertEquals(null, j.get("hairpinning"));
            assertEquals("preserving", j.get("portAllocation"));
            assertEquals("none", j.get("tcpUnsolicited"));
            assertEquals("not-needed", j.get("holePunching"));
            assertEquals("127.0.0.2:" + server.alternateAddress().getPort(), j.get("otherAddress"));

            Run human = run("natcheck", "--server", target, "--no-tcp");
            assertEquals(0, human.exit(), human.err());
            assertTrue(human.out().contains("No NAT: the server sees your own address and port."), human.out());
            assertTrue(human.out().contains("Hole punching    not-needed"), human.out());
        }
    }

    @Test
    void badArgumentsAndASilentServer() {
        assertEquals(Main.EXIT_USAGE, run("natcheck").exit());
        assertEquals(Main.EXIT_USAGE, run("natcheck", "--server", "127.0.0.1:1", "--local-port", "70000").exit());
        Run silent = run("natcheck", "--server", "127.0.0.1:9", "--json");
        assertEquals(Main.EXIT_FAILURE, silent.exit());
        assertTrue(silent.err().contains("p2pnat: error: no answer from 127.0.0.1:9"), silent.err());
        assertTrue(Json.parse(silent.out().strip()).get("error").toString().startsWith("no answer"), silent.out());
    }
}
