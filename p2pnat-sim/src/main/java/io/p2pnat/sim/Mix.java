package io.p2pnat.sim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * A population's mix of NAT types: weights for the six {@link SimNatType}s and for peers on the
 * public internet ({@code null} type).
 *
 * <p>The {@link #DEFAULT} mix follows the published figures of docs/background.md ("Numbers to beat") where there are any:
 * NAT Check (Ford et al., 2005) found UDP hole punching working on 82% of NATs, i.e. 82% of NATed
 * peers behind endpoint-independent mapping; the remaining 18% map per destination. How those
 * split further is not in those measurements and is our assumption, stated here: among EIM NATs
 * port-restricted (APDF) filtering dominates home routers (Linux/netfilter's default), so
 * EIF 12 / ADF 15 / APDF 55; among per-destination NATs random ports (CGNs, enterprise firewalls)
 * 10, sequential 8 (APDM 5, ADM 3). 5% of peers are on the public internet (not counted in the
 * 82/18 split, which is of NATs).
 */
public final class Mix {
    /** Weights in percent; key null stands for "public". */
    private final Map<SimNatType, Double> weights;
    private final double[] cumulative;
    private final List<SimNatType> order;

    public static final Mix DEFAULT = parse(String.join("\n",
            "# type       weight (percent)",
            "public       5",
            "EIM+EIF      11.4",
            "EIM+ADF      14.25",
            "EIM+APDF     52.25",
            "ADM seq      2.85",
            "APDM seq     4.75",
            "APDM random  9.5"));

    private Mix(Map<SimNatType, Double> weights) {
        this.weights = weights;
        this.order = new ArrayList<>(weights.keySet());
        this.cumulative = new double[order.size()];
        double sum = 0;
        for (int i = 0; i < order.size(); i++) {
            sum += weights.get(order.get(i));
            cumulative[i] = sum;
        }
        if (sum <= 0) {
            throw new IllegalArgumentException("the mix has no positive weight");
        }
    }

    /**
     * Lines of "TYPE WEIGHT" (TYPE: a {@link SimNatType} label or name, or "public"); '#' starts a
     * comment.
     */
    public static Mix parse(String text) {
        Map<SimNatType, Double> w = new LinkedHashMap<>();
        for (String raw : text.split("\n")) {
            String line = raw.replaceAll("#.*", "").trim();
            if (line.isEmpty()) {
                continue;
            }
            int cut = line.lastIndexOf(' ');
            if (cut < 0) {
                throw new IllegalArgumentException("mix line '" + raw + "': expected TYPE WEIGHT");
            }
            String type = line.substring(0, cut).trim();
            double weight;
            try {
                weight = Double.parseDouble(line.substring(cut + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("mix line '" + raw + "': bad weight");
            }
            if (weight < 0) {
                throw new IllegalArgumentException("mix line '" + raw + "': negative weight");
            }
            SimNatType t = type.equalsIgnoreCase("public") ? null : SimNatType.parse(type);
            w.merge(t, weight, Double::sum);
        }
        return new Mix(w);
    }

    public static Mix read(Path file) throws IOException {
        return parse(Files.readString(file));
    }

    /** A type drawn by weight (null: public). */
    SimNatType draw(Random r) {
        double x = r.nextDouble() * cumulative[cumulative.length - 1];
        for (int i = 0; i < cumulative.length; i++) {
            if (x < cumulative[i]) {
                return order.get(i);
            }
        }
        return order.get(order.size() - 1);
    }

    public String describe() {
        double sum = cumulative[cumulative.length - 1];
        StringBuilder sb = new StringBuilder();
        for (SimNatType t : order) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(t == null ? "public" : t.label).append(' ')
                    .append(String.format(Locale.ROOT, "%.1f%%", 100 * weights.get(t) / sum));
        }
        return sb.toString();
    }
}
