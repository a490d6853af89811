package io.p2pnat.cli;

/** What this build's server command supports, for lab runs that adapt to it. */
final class ServerFeatures {
    private ServerFeatures() {
    }

    /** Whether `p2pnat server` takes --alt-ip (a second address for RFC 5780 tests). */
    static boolean altIpSupported() {
        return picocli.CommandLine.Model.CommandSpec.forAnnotatedObject(new ServerCommand()).optionsMap().containsKey("--alt-ip");
    }
}
