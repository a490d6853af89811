package io.p2pnat.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Named network namespaces owned by labs. A lab's namespaces are called
 * {@code p2pnat-<pid>-<jvm start, base 36>-<lab number>-<host>}, so {@link #cleanupStale} can tell
 * whether the JVM that made them still runs.
 */
final class Netns {
    static final String PREFIX = "p2pnat-";
    private static final Path RUN_DIR = Path.of("/run/netns");
    private static final Pattern NAME = Pattern.compile("^p2pnat-(\\d+)-([0-9a-z]+)-(\\d+)-[A-Za-z]+$");
    private static final AtomicLong LAB_NUMBER = new AtomicLong();

    private Netns() {}

    /** A fresh prefix {@code p2pnat-<pid>-<start>-<n>-} unique to this JVM and call. */
    static String newPrefix() {
        ProcessHandle self = ProcessHandle.current();
        return PREFIX + self.pid() + "-" + startTag(self).orElse("0") + "-" + LAB_NUMBER.incrementAndGet() + "-";
    }

    /** Names of all named network namespaces on the machine. */
    static List<String> list() {
        if (!Files.isDirectory(RUN_DIR)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(RUN_DIR)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * Kills every process in the namespaces (forcibly, by PID as {@code ip netns pids} reports
     * them, repeating in case they forked) and deletes the namespaces.
     *
     * @return problems met on the way; empty if all went well
     */
    static List<String> destroy(Collection<String> namespaces) {
        List<String> problems = new ArrayList<>();
        List<String> present = new ArrayList<>(namespaces);
        present.retainAll(list());
        for (String ns : present) {
            killAll(ns, problems);
        }
        if (!present.isEmpty()) {
            StringBuilder batch = new StringBuilder();
            present.forEach(ns -> batch.append("netns del ").append(ns).append('\n'));
            try {
                Exec.Result r = Exec.run(List.of(Exec.tool("ip"), "-force", "-batch", "-"), batch.toString());
                if (r.exitCode() != 0) {
                    problems.add("ip netns del: " + r.stderr().strip());
                }
            } catch (LabException e) {
                problems.add(e.getMessage());
            }
        }
        return problems;
    }

    /** Destroys namespaces of labs whose JVM is gone. */
    static List<String> cleanupStale() {
        List<String> stale = list().stream().filter(Netns::isStale).toList();
        return stale.isEmpty() ? List.of() : destroy(stale);
    }

    static boolean isStale(String namespace) {
        Matcher m = NAME.matcher(namespace);
        if (!m.matches()) {
            return false;
        }
        Optional<ProcessHandle> owner = ProcessHandle.of(Long.parseLong(m.group(1)));
        if (owner.isEmpty() || !owner.get().isAlive()) {
            return true;
        }
        // the PID is alive: stale only if it is provably another process (PID reused)
        Optional<String> start = startTag(owner.get());
        return start.isPresent() && !m.group(2).equals("0")
                && Math.abs(Long.parseLong(start.get(), 36) - Long.parseLong(m.group(2), 36)) > 2;
    }

    /**
     * SIGKILLs every process {@code ip netns pids} reports, then polls until none is left (zombies
     * no longer count: their network namespace link is gone), killing newcomers too.
     */
    private static void killAll(String ns, List<String> problems) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        List<Long> pids = List.of();
        while (System.nanoTime() < deadline) {
            try {
                pids = Exec.check(List.of(Exec.tool("ip"), "netns", "pids", ns)).lines()
                        .map(String::strip).filter(s -> !s.isEmpty()).map(Long::valueOf).toList();
            } catch (LabException | NumberFormatException e) {
                problems.add(e.getMessage());
                return;
            }
            if (pids.isEmpty()) {
                return;
            }
            for (long pid : pids) {
                if (pid != ProcessHandle.current().pid()) {
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        problems.add("processes still in " + ns + ": " + pids);
    }

    private static Optional<String> startTag(ProcessHandle process) {
        return process.info().startInstant().map(Instant::getEpochSecond).map(s -> Long.toString(s, 36));
    }
}
