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

/**
 * Draws round-trip latency percentiles per transport as a PNG: one panel per message size, a
 * group of bars (p50, p90, p99, p99.9) per transport, on a log scale in microseconds. Uses only
 * the JDK's Java2D, headless.
 */
public final class Plot {
    private static final int WIDTH = 1400;
    private static final int PANEL = 420;
    private static final int LEFT = 80;
    private static final int TOP = 60;
    private static final int BOTTOM = 90;
    private static final String[] NAMES = {"p50", "p90", "p99", "p99.9"};
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0xd62728)};

    private Plot() {
    }

    /**
     * Writes the chart.
     *
     * @param rows    the run's measurements; rows without latency are left out
     * @param title   the chart's title (the machine, say)
     * @param file    the PNG file to write
     * @throws IOException if the file cannot be written
     */
    public static void write(List<Measurement> rows, String title, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Integer> sizes = rows.stream().filter(r -> r.latency() != null).map(Measurement::size).distinct()
                .sorted().toList();
        BufferedImage image = new BufferedImage(WIDTH, TOP + Math.max(1, sizes.size()) * PANEL, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.drawString("Round-trip latency (µs, log scale) — " + title, 20, 28);
            legend(g);
            for (int i = 0; i < sizes.size(); i++) {
                int size = sizes.get(i);
                List<Measurement> panel = rows.stream().filter(r -> r.size() == size && r.latency() != null)
                        .sorted(Comparator.comparing(Measurement::kind).thenComparing(Measurement::transport))
                        .toList();
                panel(g, panel, Report.size(size), TOP + i * PANEL);
            }
        } finally {
            g.dispose();
        }
        ImageIO.write(image, "png", file.toFile());
    }

    private static void legend(Graphics2D g) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        for (int i = 0; i < NAMES.length; i++) {
            int x = WIDTH - 330 + i * 80;
            g.setColor(COLORS[i]);
            g.fillRect(x, 16, 14, 14);
            g.setColor(Color.BLACK);
            g.drawString(NAMES[i], x + 18, 28);
        }
    }

    private static void panel(Graphics2D g, List<Measurement> rows, String label, int top) {
        int height = PANEL - BOTTOM;
        int plotWidth = WIDTH - LEFT - 30;
        double min = Math.log10(Math.max(0.1, rows.stream().mapToLong(r -> r.latency().p50()).min().orElse(1000)
                / 1000.0 / 2));
        double max = Math.log10(rows.stream().mapToLong(r -> r.latency().p999()).max().orElse(1000) / 1000.0 * 2);
        min = Math.floor(min);
        max = Math.max(min + 1, Math.ceil(max));
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.setColor(Color.BLACK);
        g.drawString(label + " messages", LEFT, top + 16);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (double d = min; d <= max; d++) {
            int y = top + 24 + (int) ((max - d) / (max - min) * (height - 24));
            g.setColor(new Color(0xdddddd));
            g.drawLine(LEFT, y, LEFT + plotWidth, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%s", format(Math.pow(10, d))), 10, y + 4);
        }
        if (rows.isEmpty()) {
            return;
        }
        int group = plotWidth / rows.size();
        int bar = Math.max(3, (group - 16) / NAMES.length);
        for (int i = 0; i < rows.size(); i++) {
            Measurement r = rows.get(i);
            long[] values = {r.latency().p50(), r.latency().p90(), r.latency().p99(), r.latency().p999()};
            int x0 = LEFT + i * group + 8;
            for (int k = 0; k < values.length; k++) {
                double v = Math.log10(Math.max(values[k] / 1000.0, Math.pow(10, min)));
                int h = (int) ((v - min) / (max - min) * (height - 24));
                g.setColor(COLORS[k]);
                g.fillRect(x0 + k * bar, top + height - h, bar - 1, h);
            }
            g.setColor(Color.BLACK);
            AffineTransform saved = g.getTransform();
            g.translate(x0 + 2, top + height + 12);
            g.rotate(Math.toRadians(25));
            g.drawString(r.transport(), 0, 0);
            g.setTransform(saved);
        }
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1));
        g.drawLine(LEFT, top + height, LEFT + plotWidth, top + height);
    }

    private static String format(double micros) {
        return micros >= 1 ? String.format(Locale.ROOT, "%.0f µs", micros) : String.format(Locale.ROOT, "%.1f µs", micros);
    }
}
