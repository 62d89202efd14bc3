package dev.conduit.bench;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Draws a run as PNG charts, one panel per message size and a group of bars per row, on a log
 * scale: round-trip latency percentiles (p50, p90, p99, p99.9) in microseconds, and one-way
 * throughput (one send per message, batched) in messages per second. Uses only the JDK's
 * Java2D, headless. Stateless; any thread.
 */
public final class Plot {
    private static final int WIDTH = 1400;
    private static final int PANEL = 420;
    private static final int LEFT = 80;
    private static final int TOP = 60;
    private static final int BOTTOM = 90;
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0xd62728)};

    /** One chart: which rows it shows, their bars in the unit drawn, and how the axis reads. */
    private record Chart(String title, List<String> names, Predicate<Measurement> shown,
            Function<Measurement, double[]> values, DoubleFunction<String> axis) {
    }

    private static final Chart LATENCY = new Chart("Round-trip latency (µs, log scale)",
            List.of("p50", "p90", "p99", "p99.9"), r -> r.latency() != null,
            r -> new double[] {r.latency().p50() / 1e3, r.latency().p90() / 1e3, r.latency().p99() / 1e3,
                r.latency().p999() / 1e3}, Plot::micros);

    private static final Chart THROUGHPUT = new Chart("One-way throughput (messages/s, log scale)",
            List.of("one send", "batched"), r -> r.throughput() != null || r.batched() != null,
            r -> new double[] {r.throughput() == null ? 0 : r.throughput().messagesPerSecond(),
                r.batched() == null ? 0 : r.batched().messagesPerSecond()}, Plot::rate);

    private Plot() {
    }

    /**
     * Writes the latency chart. Blocks while drawing and writing.
     *
     * @param rows    the run's measurements; rows without latency are left out
     * @param title   the chart's title (the machine, say)
     * @param file    the PNG file to write
     * @throws IOException if the file cannot be written
     */
    public static void write(List<Measurement> rows, String title, Path file) throws IOException {
        draw(LATENCY, rows, title, file);
    }

    /**
     * Writes the throughput chart: both one-way phases of every row. Blocks while drawing and writing.
     *
     * @param rows    the run's measurements; rows without throughput are left out
     * @param title   the chart's title (the machine, say)
     * @param file    the PNG file to write
     * @throws IOException if the file cannot be written
     */
    public static void writeThroughput(List<Measurement> rows, String title, Path file) throws IOException {
        draw(THROUGHPUT, rows, title, file);
    }

    /**
     * @param latencyFile the latency chart's file, e.g. {@code bench.png}
     * @return the throughput chart's file beside it, e.g. {@code bench-throughput.png}
     */
    public static Path throughputFile(Path latencyFile) {
        String name = latencyFile.getFileName().toString();
        int dot = name.toLowerCase(Locale.ROOT).endsWith(".png") ? name.length() - 4 : name.length();
        return latencyFile.resolveSibling(name.substring(0, dot) + "-throughput.png");
    }

    private static void draw(Chart chart, List<Measurement> rows, String title, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Integer> sizes = rows.stream().filter(chart.shown()).map(Measurement::size).distinct().sorted().toList();
        BufferedImage image = new BufferedImage(WIDTH, TOP + Math.max(1, sizes.size()) * PANEL,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.drawString(chart.title() + " — " + title, 20, 28);
            legend(g, chart.names());
            for (int i = 0; i < sizes.size(); i++) {
                int size = sizes.get(i);
                List<Measurement> panel = rows.stream().filter(r -> r.size() == size && chart.shown().test(r))
                        .sorted(Comparator.comparing(Measurement::kind).thenComparing(Measurement::transport))
                        .toList();
                panel(g, chart, panel, Report.size(size), TOP + i * PANEL);
            }
        } finally {
            g.dispose();
        }
        ImageIO.write(image, "png", file.toFile());
    }

    private static void legend(Graphics2D g, List<String> names) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        for (int i = 0; i < names.size(); i++) {
            int x = WIDTH - 90 * names.size() + i * 90;
            g.setColor(COLORS[i]);
            g.fillRect(x, 16, 14, 14);
            g.setColor(Color.BLACK);
            g.drawString(names.get(i), x + 18, 28);
        }
    }

    private static void panel(Graphics2D g, Chart chart, List<Measurement> rows, String label, int top) {
        int height = PANEL - BOTTOM;
        int plotWidth = WIDTH - LEFT - 30;
        List<double[]> values = rows.stream().map(chart.values()).toList();
        double low = values.stream().flatMapToDouble(java.util.Arrays::stream).filter(v -> v > 0).min().orElse(1);
        double high = values.stream().flatMapToDouble(java.util.Arrays::stream).max().orElse(10);
        double min = Math.floor(Math.log10(low / 2));
        double max = Math.max(min + 1, Math.ceil(Math.log10(Math.max(high, low) * 2)));
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.setColor(Color.BLACK);
        g.drawString(label + " messages", LEFT, top + 16);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (double d = min; d <= max; d++) {
            int y = top + 24 + (int) ((max - d) / (max - min) * (height - 24));
            g.setColor(new Color(0xdddddd));
            g.drawLine(LEFT, y, LEFT + plotWidth, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(chart.axis().apply(Math.pow(10, d)), 10, y + 4);
        }
        if (rows.isEmpty()) {
            return;
        }
        int group = plotWidth / rows.size();
        int bars = chart.names().size();
        int bar = Math.max(3, (group - 16) / bars);
        for (int i = 0; i < rows.size(); i++) {
            int x0 = LEFT + i * group + 8;
            for (int k = 0; k < bars; k++) {
                double v = Math.log10(Math.max(values.get(i)[k], Math.pow(10, min)));
                int h = (int) ((v - min) / (max - min) * (height - 24));
                g.setColor(COLORS[k]);
                g.fillRect(x0 + k * bar, top + height - h, bar - 1, h);
            }
            g.setColor(Color.BLACK);
            AffineTransform saved = g.getTransform();
            g.translate(x0 + 2, top + height + 12);
            g.rotate(Math.toRadians(25));
            g.drawString(rows.get(i).transport(), 0, 0);
            g.setTransform(saved);
        }
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1));
        g.drawLine(LEFT, top + height, LEFT + plotWidth, top + height);
    }

    private static String micros(double micros) {
        return micros >= 1 ? String.format(Locale.ROOT, "%.0f µs", micros) : String.format(Locale.ROOT, "%.1f µs", micros);
    }

    private static String rate(double perSecond) {
        return perSecond >= 1e6 ? String.format(Locale.ROOT, "%.0f M", perSecond / 1e6)
                : perSecond >= 1e3 ? String.format(Locale.ROOT, "%.0f k", perSecond / 1e3)
                : String.format(Locale.ROOT, "%.1f", perSecond);
    }
}
