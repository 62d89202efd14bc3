package dev.conduit.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * One row of a run as {@code conduit bench --transport} names it: a transport or peer, with
 * endpoint options of its own ({@code unix?protocol=conduit&ack=true}). The row's name in the
 * table and the JSON is what was written, with {@code [virtual]} after it when the Conduit sides
 * ran on virtual threads.
 *
 * @param transport a Conduit transport ({@link BenchPeer#CONDUIT}) or a peer ({@link BenchPeer#PEERS})
 * @param options   endpoint options without the {@code ?}, e.g. {@code protocol=conduit&ack=true}; empty for none
 */
public record Row(String transport, String options) {
    /** What a row name carries when the Conduit sides ran on virtual threads. */
    public static final String VIRTUAL = " [virtual]";

    /**
     * Reads a row as written after {@code --transport}.
     *
     * @param text e.g. {@code unix}, {@code unix?protocol=conduit&ack=true}
     * @return the row
     * @throws IllegalArgumentException quoting {@code text}, if the transport is unknown, a peer
     *                                  is given options (peers take none), or the options are not
     *                                  non-empty {@code name=value} pairs joined by {@code &}
     */
    public static Row parse(String text) {
        String t = text.strip();
        int q = t.indexOf('?');
        String transport = q < 0 ? t : t.substring(0, q);
        String options = q < 0 ? "" : t.substring(q + 1);
        if (!BenchPeer.CONDUIT.contains(transport) && !BenchPeer.PEERS.contains(transport)) {
            throw new IllegalArgumentException("--transport " + text + ": unknown transport " + transport
                    + " (expected one of " + String.join(", ", BenchPeer.CONDUIT) + " or peers "
                    + String.join(", ", BenchPeer.PEERS) + ")");
        }
        if (q >= 0 && BenchPeer.PEERS.contains(transport)) {
            throw new IllegalArgumentException("--transport " + text + ": " + transport
                    + " is a peer and takes no endpoint options");
        }
        if (q >= 0) {
            for (String pair : options.split("&", -1)) {
                int eq = pair.indexOf('=');
                if (eq <= 0 || eq == pair.length() - 1) {
                    throw new IllegalArgumentException("--transport " + text + ": option '" + pair
                            + "' is not name=value");
                }
            }
        }
        return new Row(transport, options);
    }

    /**
     * @param virtual whether the Conduit sides ran on virtual threads
     * @return the row's name in the table and the JSON, e.g. {@code unix?protocol=conduit [virtual]}
     */
    public String name(boolean virtual) {
        return transport + (options.isEmpty() ? "" : "?" + options)
                + (virtual && BenchPeer.CONDUIT.contains(transport) ? VIRTUAL : "");
    }

    /**
     * @param common options every Conduit row gets (such as {@code spin=0}), or empty
     * @return those and this row's own, joined by {@code &} (the endpoint rejects an option given
     *         in both, naming it)
     */
    public String options(String common) {
        List<String> all = new ArrayList<>();
        if (!common.isEmpty()) {
            all.add(common);
        }
        if (!options.isEmpty()) {
            all.add(options);
        }
        return String.join("&", all);
    }
}
