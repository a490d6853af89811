/** The p2pnat command line. It compiles against the exported API of the other modules only. */
module io.p2pnat.cli {
    requires io.p2pnat.lab;
    requires io.p2pnat.metrics;
    requires io.p2pnat.peer;
    requires io.p2pnat.server;
    requires io.p2pnat.sim;
    requires info.picocli;
    requires java.management;

    // picocli reads the commands' annotations and sets their fields reflectively.
    opens io.p2pnat.cli to info.picocli;
}
