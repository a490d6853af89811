package io.p2pnat.lab;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The one place the lab runs external commands: captures stdout and stderr, feeds optional
 * stdin, enforces a timeout, and turns a non-zero exit into a {@link LabException} naming the
 * command line and quoting its stderr.
 */
final class Exec {
    private static final long TIMEOUT_SECONDS = 20;
    private static final List<String> SYSTEM_DIRS = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin");

    record Result(int exitCode, String stdout, String stderr) {}

    private Exec() {}

    /** Runs the command; throws unless it exits 0. Returns stdout. */
    static String check(List<String> command, String stdin) throws LabException {
        Result result = run(command, stdin);
        if (result.exitCode() != 0) {
            throw new LabException("command failed (exit " + result.exitCode() + "): " + describe(command, stdin)
                    + "\nstderr: " + result.stderr().strip());
        }
        return result.stdout();
    }

    static String check(List<String> command) throws LabException {
        return check(command, null);
    }

    /** Runs the command and returns whatever it did; throws only if it cannot start or hangs. */
    static Result run(List<String> command, String stdin) throws LabException {
        return run(command, stdin, TIMEOUT_SECONDS);
    }

    /** As {@link #run(List, String)} with its own timeout (a build or an install takes longer). */
    static Result run(List<String> command, String stdin, long timeoutSeconds) throws LabException {
        Process process;
        try {
            process = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new LabException("cannot start " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
        CompletableFuture<String> out = drain(process.getInputStream());
        CompletableFuture<String> err = drain(process.getErrorStream());
        try (OutputStream in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // the process exited without reading its input; its exit code and stderr tell why
        }
        try {
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new LabException("command timed out after " + timeoutSeconds + " s: " + describe(command, stdin));
            }
            return new Result(process.exitValue(), out.get(), err.get());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while running " + String.join(" ", command), e);
        } catch (ExecutionException e) {
            throw new LabException("cannot read output of " + String.join(" ", command), e.getCause());
        }
    }

    /** {@code ip netns exec <ns> <command...>}. */
    static List<String> inNamespace(String namespace, List<String> command) {
        List<String> full = new ArrayList<>(List.of(tool("ip"), "netns", "exec", namespace));
        full.addAll(command);
        return full;
    }

    /** The absolute path of a system tool, looked up on PATH and in the sbin directories. */
    static String tool(String name) {
        return find(name).map(Path::toString).orElse(name);
    }

    static Optional<Path> find(String name) {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(":")));
        }
        dirs.addAll(SYSTEM_DIRS);
        return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, name))
                .filter(Files::isExecutable).findFirst();
    }

    private static String describe(List<String> command, String stdin) {
        String line = String.join(" ", command);
        return stdin == null ? line : line + " <<EOF\n" + stdin.strip() + "\nEOF";
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (stream) {
                ByteArrayOutputStream buffer = new ByteArrayOutputStream();
                stream.transferTo(buffer);
                result.complete(buffer.toString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                result.completeExceptionally(new UncheckedIOException(e));
            }
        }, "p2pnat-lab-exec-reader");
        reader.setDaemon(true);
        reader.start();
        return result;
    }
}
