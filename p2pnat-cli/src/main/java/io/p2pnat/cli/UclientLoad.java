package io.p2pnat.cli;

import io.p2pnat.server.interop.Coturn;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs several turnutils_uclient processes at once against one TURN server and measures the
 * relayed message rate from their once-a-second progress lines ("tot_recv_msgs=..."), timestamped
 * as they arrive (uclient is line-buffered through stdbuf). The rate counts from the first report
 * of received messages to the last report in which the count still grew, so uclient's connect
 * phase, its random 1-6 s start stagger and its 10 s wait for lost messages are left out. The
 * reports come once a second, so short runs measure coarsely.
 */
final class UclientLoad {
    /** The outcome of one load round. */
    record Result(long sent, long received, long lost, double messagesPerSecond, double avgRttMs, long maxRttMs,
                  double serverCpuSeconds, double wallSeconds, int failures) {
        double lossPercent() {
            return sent == 0 ? 0 : 100.0 * lost / sent;
        }

        double cpuMicrosPerMessage() {
            return received == 0 ? Double.NaN : serverCpuSeconds * 1e6 / received;
        }
    }

    private static final Pattern PROGRESS = Pattern.compile("msz=\\d+, tot_send_msgs=(\\d+), tot_recv_msgs=(\\d+)");
    private static final Pattern FINAL = Pattern.compile("start_mclient: tot_send_msgs=(\\d+), tot_recv_msgs=(\\d+)$");

    private record Sample(int process, long nanos, long received, boolean last) {
    }

    private UclientLoad() {
    }

    /**
     * Runs one round. Process {@code p} of round {@code round} sends from 127.0.{round+1}.{p+2}: uclient
     * leaves one "probe" allocation per session behind (it closes the socket without deleting it),
     * and a later socket that the OS gives the same local port would meet it and get 437 Allocation
     * Mismatch, as RFC 8656 §7.2 requires. Fresh source addresses per round avoid that.
     */
    static Result run(Path dir, String name, int round, int serverPort, int peerPort, long serverPid, int processes,
                      List<String> uclientArgs) throws IOException, InterruptedException {
        boolean stdbuf = Files.isExecutable(Path.of("/usr/bin/stdbuf"));
        ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
        List<Process> procs = new ArrayList<>();
        List<Thread> readers = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        long cpu0 = cpuTicks(serverPid);
        long start = System.nanoTime();
        for (int p = 0; p < processes; p++) {
            List<String> cmd = new ArrayList<>();
            if (stdbuf) {
                cmd.addAll(List.of("/usr/bin/stdbuf", "-oL"));
            }
            cmd.addAll(List.of("turnutils_uclient", "-u", "u", "-w", "p", "-e", "127.0.0.1", "-r", Integer.toString(peerPort)));
            cmd.addAll(uclientArgs);
            cmd.addAll(List.of("-L", "127.0." + (round + 1) + "." + (p + 2)));
            cmd.addAll(List.of("-p", Integer.toString(serverPort), "127.0.0.1"));
            Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            Path log = dir.resolve("uclient-" + name + "-" + p + ".log");
            logs.add(log);
            int index = p;
            Thread t = new Thread(() -> read(proc, log, index, samples), "uclient-" + name + "-" + p);
            t.start();
            procs.add(proc);
            readers.add(t);
        }
        int failures = 0;
        for (Process proc : procs) {
            if (!proc.waitFor(600, java.util.concurrent.TimeUnit.SECONDS)) {
                proc.destroyForcibly();
                failures++;
            } else if (proc.exitValue() != 0) {
                failures++;
            }
        }
        for (Thread t : readers) {
            t.join(5000);
        }
        double wall = (System.nanoTime() - start) / 1e9;
        double cpu = (cpuTicks(serverPid) - cpu0) / 100.0;
        long sent = 0;
        long received = 0;
        long lost = 0;
        double rttSum = 0;
        long rttMax = 0;
        for (Path log : logs) {
            Coturn.UclientSummary s = Coturn.UclientSummary.parse(Files.readString(log, StandardCharsets.UTF_8));
            if (s == null) {
                failures++;
                continue;
            }
            sent += s.sent();
            received += s.received();
            lost += s.lost();
            rttSum += s.avgRttMs() * s.received();
            rttMax = Math.max(rttMax, s.maxRttMs());
        }
        return new Result(sent, received, lost, rate(samples, processes), received == 0 ? Double.NaN : rttSum / received,
                rttMax, cpu, wall, failures);
    }

    private static void read(Process proc, Path log, int index, ConcurrentLinkedQueue<Sample> samples) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8));
             var w = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                long now = System.nanoTime();
                w.write(line);
                w.newLine();
                Matcher m = PROGRESS.matcher(line);
                if (m.find()) {
                    samples.add(new Sample(index, now, Long.parseLong(m.group(2)), false));
                    continue;
                }
                m = FINAL.matcher(line);
                if (m.find()) {
                    samples.add(new Sample(index, now, Long.parseLong(m.group(2)), true));
                }
            }
        } catch (IOException e) {
            // the process died; its log says what it could
        }
    }

    /** Messages received per second across processes, between the first report of data and the end. */
    private static double rate(ConcurrentLinkedQueue<Sample> samples, int processes) {
        List<Sample> all = new ArrayList<>(samples);
        all.sort((a, b) -> Long.compare(a.nanos(), b.nanos()));
        long[] latest = new long[processes];
        long firstNanos = -1;
        long firstTotal = 0;
        long endNanos = -1;
        long endTotal = 0;
        for (Sample s : all) {
            latest[s.process()] = Math.max(latest[s.process()], s.received());
            long total = 0;
            for (long v : latest) {
                total += v;
            }
            if (firstNanos < 0 && total > 0) {
                firstNanos = s.nanos();
                firstTotal = total;
            }
            if (total > endTotal) { // the last time anything moved (not uclient's 10 s wait for the lost)
                endNanos = s.nanos();
                endTotal = total;
            }
        }
        if (firstNanos < 0 || endNanos <= firstNanos) {
            return Double.NaN;
        }
        return (endTotal - firstTotal) / ((endNanos - firstNanos) / 1e9);
    }

    /** utime + stime of a process in clock ticks (100 per second on Linux), or 0 if unreadable. */
    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
