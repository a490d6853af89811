package io.p2pnat.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Finds out, once per JVM, whether this machine can run the lab, and if not, why. */
final class LabProbe {
    private static final Optional<String> REASON = probe();

    private LabProbe() {}

    static Optional<String> reason() {
        return REASON;
    }

    private static Optional<String> probe() {
        String os = System.getProperty("os.name", "");
        if (!os.toLowerCase(Locale.ROOT).contains("linux")) {
            return Optional.of("the lab needs Linux network namespaces and nftables; this is " + os + ".");
        }
        Optional<Long> uid = effectiveUid();
        if (uid.isPresent() && uid.get() != 0) {
            return Optional.of("not root (effective uid " + uid.get()
                    + "): building namespaces and nftables rules needs root.");
        }
        List<String> missing = new ArrayList<>();
        for (String tool : List.of("ip", "nft", "sysctl")) {
            if (Exec.find(tool).isEmpty()) {
                missing.add("`" + tool + "`");
            }
        }
        if (!missing.isEmpty()) {
            return Optional.of(String.join(" and ", missing) + " not found on PATH or in /usr/sbin, /sbin"
                    + " (install iproute2, nftables, procps).");
        }
        return tryNamespace();
    }

    /** Creates a throw-away namespace with a veth pair and an nftables table in it. */
    private static Optional<String> tryNamespace() {
        String ns = Netns.newPrefix().replaceFirst("-\\d+-$", "-0-") + "probe";
        try {
            Exec.check(List.of(Exec.tool("ip"), "netns", "add", ns));
            Exec.check(List.of(Exec.tool("ip"), "-n", ns, "link", "add", "probe0", "type", "veth", "peer", "name", "probe1"));
            Exec.check(Exec.inNamespace(ns, List.of(Exec.tool("nft"), "-f", "-")),
                    "table ip probe {\n\tchain c {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\tmasquerade\n\t}\n}\n");
            return Optional.empty();
        } catch (LabException e) {
            return Optional.of("cannot create a network namespace with veth and nftables NAT: " + e.getMessage());
        } finally {
            Netns.destroy(List.of(ns));
        }
    }

    private static Optional<Long> effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    String[] ids = line.substring(4).trim().split("\\s+");
                    return Optional.of(Long.parseLong(ids[1]));
                }
            }
        } catch (IOException | RuntimeException e) {
            // unknown: let the namespace probe decide
        }
        return Optional.empty();
    }
}
