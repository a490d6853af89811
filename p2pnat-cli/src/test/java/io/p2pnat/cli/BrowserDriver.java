package io.p2pnat.cli;

import static org.junit.jupiter.api.Assertions.fail;

import io.p2pnat.lab.Lab;
import io.p2pnat.lab.LabRequirement;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs {@code tools/interop/webrtc-turn.mjs} (headless Debian Chromium driven by npm
 * playwright-core) in a lab host's network namespace and reads the one JSON line it prints. Needs
 * {@code /usr/bin/chromium}, {@code node} and {@code tools/interop/node_modules/playwright-core}
 * ({@code scripts/install-interop-deps} installs them): without them a test skips, or fails where
 * the lab is required (CI).
 */
final class BrowserDriver {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final String SCRIPT = "tools/interop/webrtc-turn.mjs";

    private BrowserDriver() {
    }

    /**
     * What the driver printed.
     *
     * @param exit   its exit status (0: goal reached, 1: not, 2: driver failure; -1: killed by us)
     * @param line   its JSON line (null if it printed none)
     * @param json   that line parsed (null if none or not JSON)
     * @param stderr what it wrote to stderr (browser and page diagnostics)
     */
    record Result(int exit, String line, Map<String, Object> json, String stderr) {
        /** A value by dotted path, e.g. {@code selected.local.relayProtocol}; null where absent. */
        Object get(String path) {
            Object v = json;
            for (String key : path.split("\\.")) {
                if (!(v instanceof Map<?, ?> m)) {
                    return null;
                }
                v = m.get(key);
            }
            return v;
        }

        String text(String path) {
            Object v = get(path);
            return v == null ? null : v.toString();
        }

        long number(String path) {
            return get(path) instanceof Number n ? n.longValue() : -1;
        }

        /** A list by dotted path (candidates.pc1, candidateErrors); empty where absent. */
        @SuppressWarnings("unchecked")
        <T> List<T> list(String path) {
            return get(path) instanceof List<?> l ? (List<T>) l : List.of();
        }

        /** For assertion messages: the JSON line, the exit status and the driver's stderr tail. */
        String describe() {
            return "driver exit " + exit + ", JSON: " + line + "\n  driver stderr (tail):\n" + tail(stderr, 25);
        }
    }

    /** Why the browser cannot run here, or empty. */
    static Optional<String> unavailableReason() {
        if (!Files.isExecutable(CHROMIUM)) {
            return Optional.of(CHROMIUM + " is missing");
        }
        if (node().isEmpty()) {
            return Optional.of("node is not on the PATH");
        }
        Path script = script();
        if (script == null) {
            return Optional.of(SCRIPT + " not found above " + Path.of("").toAbsolutePath());
        }
        if (!Files.isDirectory(script.getParent().resolve("node_modules/playwright-core"))) {
            return Optional.of(script.getParent().resolve("node_modules/playwright-core") + " is missing");
        }
        for (String tool : List.of("openssl", "unshare", "mount")) {
            if (onPath(tool).isEmpty()) {
                return Optional.of(tool + " is not on the PATH");
            }
        }
        return Optional.empty();
    }

    /** Skips the test without a browser, or fails it where the lab is required (CI). */
    static void require() {
        Optional<String> reason = unavailableReason();
        if (reason.isEmpty()) {
            return;
        }
        String message = reason.get() + ": run scripts/install-interop-deps as root";
        if (LabRequirement.required(System.getenv(), System.getProperties())) {
            fail("the browser interoperability test is required here (CI) but cannot run: " + message);
        }
        Assumptions.abort(message);
    }

    /**
     * Runs the driver with {@code config} (see the script's header) on {@code host}, HOME in
     * {@code work}; waits for it at most {@code timeoutMs} plus 25 s (it bounds itself to
     * timeoutMs plus 15 s), then kills it.
     *
     * <p>The driver sees its own {@code /etc/hosts} (localhost and {@code names}, name to IP) and
     * an {@code /etc/resolv.conf} naming 127.0.0.1, bind-mounted in a mount namespace of its own
     * ({@code unshare --mount}), so the browser resolves lab names at once and never sends a DNS
     * query towards the machine's resolver (Chromium's WebRTC resolves a {@code turns:} host
     * itself, ignoring {@code --host-resolver-rules}, and only falls back to the socket layer's
     * resolution, which honours them, after its DNS queries time out: about 3 s).
     */
    static Result run(Lab lab, String host, Map<String, Object> config, Map<String, String> names, Path work)
            throws IOException, InterruptedException {
        long timeoutMs = ((Number) config.getOrDefault("timeoutMs", 20_000)).longValue();
        Path home = Files.createDirectories(work.resolve("home"));
        Path out = Files.createTempFile(work, "driver", ".out");
        Path err = Files.createTempFile(work, "driver", ".err");
        Path hosts = Files.createTempFile(work, "hosts", "");
        StringBuilder h = new StringBuilder("127.0.0.1 localhost\n::1 localhost\n");
        names.forEach((name, ip) -> h.append(ip).append(' ').append(name).append('\n'));
        Files.writeString(hosts, h, StandardCharsets.UTF_8);
        Path resolv = Files.createTempFile(work, "resolv", ".conf");
        Files.writeString(resolv, "nameserver 127.0.0.1\n", StandardCharsets.UTF_8);
        Path script = script();
        List<String> cmd = new ArrayList<>(List.of(onPath("unshare").orElse("unshare"), "--mount", "--propagation", "private",
                "/bin/sh", "-c", "mount --bind \"$1\" /etc/hosts && mount --bind \"$2\" /etc/resolv.conf && shift 2 && exec \"$@\"",
                "sh", hosts.toString(), resolv.toString()));
        cmd.addAll(List.of(node().orElseThrow(), script.toString(), write(config)));
        ProcessBuilder pb = lab.command(host, cmd)
                .directory(script.getParent().toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().put("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        pb.environment().put("HOME", home.toString());
        pb.environment().put("XDG_CONFIG_HOME", home.resolve(".config").toString());
        pb.environment().put("XDG_CACHE_HOME", home.resolve(".cache").toString());
        Process p = pb.start();
        int exit;
        try {
            if (p.waitFor(timeoutMs + 25_000, TimeUnit.MILLISECONDS)) {
                exit = p.exitValue();
            } else {
                exit = -1;
            }
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        String stderr = Files.readString(err, StandardCharsets.UTF_8)
                + (exit == -1 ? "\n(killed: still running after " + (timeoutMs + 25_000) + " ms)" : "");
        String line = null;
        Map<String, Object> json = null;
        for (String l : stdout.split("\n")) {
            if (l.startsWith("{")) {
                line = l;
                try {
                    json = object(parse(l));
                } catch (IllegalArgumentException e) {
                    json = null;
                }
            }
        }
        return new Result(exit, line, json, stderr);
    }

    static String tail(String text, int lines) {
        if (text.isBlank()) {
            return "    (nothing)\n";
        }
        String[] all = text.strip().split("\n");
        StringBuilder sb = new StringBuilder();
        for (int i = Math.max(0, all.length - lines); i < all.length; i++) {
            sb.append("    ").append(all[i]).append('\n');
        }
        return sb.toString();
    }

    private static Path script() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path p = dir.resolve(SCRIPT);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    private static Optional<String> node() {
        return onPath("node");
    }

    static Optional<String> onPath(String program) {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/bin:/bin" : path).split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(p)) {
                return Optional.of(p.toAbsolutePath().toString());
            }
        }
        return Optional.empty();
    }

    // ---- a little JSON: the driver's config out, its nested result in

    /** JSON text of maps, lists, strings, numbers, booleans and null. */
    static String write(Object v) {
        StringBuilder sb = new StringBuilder();
        write(sb, v);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v) {
        if (v == null || v instanceof Boolean || v instanceof Number) {
            sb.append(v);
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            String sep = "";
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(sep);
                write(sb, e.getKey().toString());
                sb.append(':');
                write(sb, e.getValue());
                sep = ",";
            }
            sb.append('}');
        } else if (v instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                sb.append(i == 0 ? "" : ",");
                write(sb, l.get(i));
            }
            sb.append(']');
        } else {
            sb.append('"');
            for (char c : v.toString().toCharArray()) {
                if (c == '"' || c == '\\') {
                    sb.append('\\').append(c);
                } else if (c < 0x20) {
                    sb.append(String.format("\\u%04x", (int) c));
                } else {
                    sb.append(c);
                }
            }
            sb.append('"');
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object v) {
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException("not a JSON object");
        }
        return (Map<String, Object>) v;
    }

    /** Parses JSON text (objects become LinkedHashMaps, arrays ArrayLists, numbers Long or Double). */
    static Object parse(String text) {
        int[] at = {0};
        Object v = value(text, at);
        skipWs(text, at);
        if (at[0] != text.length()) {
            throw new IllegalArgumentException("trailing text at " + at[0]);
        }
        return v;
    }

    private static Object value(String s, int[] at) {
        skipWs(s, at);
        if (at[0] >= s.length()) {
            throw new IllegalArgumentException("unexpected end");
        }
        char c = s.charAt(at[0]);
        if (c == '{') {
            at[0]++;
            Map<String, Object> m = new LinkedHashMap<>();
            skipWs(s, at);
            if (s.startsWith("}", at[0])) {
                at[0]++;
                return m;
            }
            while (true) {
                skipWs(s, at);
                String key = string(s, at);
                skipWs(s, at);
                expect(s, at, ':');
                m.put(key, value(s, at));
                skipWs(s, at);
                if (s.startsWith("}", at[0])) {
                    at[0]++;
                    return m;
                }
                expect(s, at, ',');
            }
        }
        if (c == '[') {
            at[0]++;
            List<Object> l = new ArrayList<>();
            skipWs(s, at);
            if (s.startsWith("]", at[0])) {
                at[0]++;
                return l;
            }
            while (true) {
                l.add(value(s, at));
                skipWs(s, at);
                if (s.startsWith("]", at[0])) {
                    at[0]++;
                    return l;
                }
                expect(s, at, ',');
            }
        }
        if (c == '"') {
            return string(s, at);
        }
        for (String word : new String[] {"true", "false", "null"}) {
            if (s.startsWith(word, at[0])) {
                at[0] += word.length();
                return word.equals("null") ? null : Boolean.valueOf(word);
            }
        }
        int start = at[0];
        while (at[0] < s.length() && "+-0123456789.eE".indexOf(s.charAt(at[0])) >= 0) {
            at[0]++;
        }
        String num = s.substring(start, at[0]);
        if (num.isEmpty()) {
            throw new IllegalArgumentException("unexpected '" + c + "' at " + start);
        }
        return num.matches("-?\\d+") ? (Object) Long.parseLong(num) : (Object) Double.parseDouble(num);
    }

    private static String string(String s, int[] at) {
        expect(s, at, '"');
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (at[0] >= s.length()) {
                throw new IllegalArgumentException("unterminated string");
            }
            char c = s.charAt(at[0]++);
            if (c == '"') {
                return sb.toString();
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = s.charAt(at[0]++);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'u' -> {
                    sb.append((char) Integer.parseInt(s.substring(at[0], at[0] + 4), 16));
                    at[0] += 4;
                }
                default -> sb.append(e);
            }
        }
    }

    private static void skipWs(String s, int[] at) {
        while (at[0] < s.length() && Character.isWhitespace(s.charAt(at[0]))) {
            at[0]++;
        }
    }

    private static void expect(String s, int[] at, char c) {
        if (at[0] >= s.length() || s.charAt(at[0]) != c) {
            throw new IllegalArgumentException("expected '" + c + "' at " + at[0]);
        }
        at[0]++;
    }
}
