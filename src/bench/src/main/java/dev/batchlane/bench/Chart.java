package dev.batchlane.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/** A log–log line chart of throughput against file size, drawn with Java2D (headless). */
final class Chart {
    record Point(double x, double y) {}

    private static final Color[] COLORS = {
        new Color(0x1f77b4),
        new Color(0x7f7f7f),
        new Color(0xd62728),
        new Color(0xff7f0e),
        new Color(0x2ca02c),
        new Color(0x9467bd),
        new Color(0x8c564b)
    };

    private Chart() {}

    static void draw(
            Path png, String title, String xLabel, String yLabel, Map<String, List<Point>> series)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 1100;
        int h = 650;
        int left = 90;
        int right = 300;
        int top = 60;
        int bottom = 80;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(
                RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);

        double minX = Double.MAX_VALUE;
        double maxX = 0;
        double minY = Double.MAX_VALUE;
        double maxY = 0;
        for (List<Point> pts : series.values()) {
            for (Point p : pts) {
                minX = Math.min(minX, p.x());
                maxX = Math.max(maxX, p.x());
                minY = Math.min(minY, p.y());
                maxY = Math.max(maxY, p.y());
            }
        }
        double lx0 = Math.floor(Math.log10(minX) * 4) / 4 - 0.1;
        double lx1 = Math.ceil(Math.log10(maxX) * 4) / 4 + 0.1;
        double ly0 = Math.floor(Math.log10(minY));
        double ly1 = Math.ceil(Math.log10(maxY));
        if (ly1 - ly0 < 1) {
            ly1 = ly0 + 1;
        }
        int pw = w - left - right;
        int ph = h - top - bottom;
        final double fx0 = lx0;
        final double fx1 = lx1;
        final double fy0 = ly0;
        final double fy1 = ly1;
        java.util.function.DoubleUnaryOperator sx =
                x -> left + (Math.log10(x) - fx0) / (fx1 - fx0) * pw;
        java.util.function.DoubleUnaryOperator sy =
                y -> top + ph - (Math.log10(y) - fy0) / (fy1 - fy0) * ph;

        Font small = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
        g.setFont(small);
        FontMetrics fm = g.getFontMetrics();
        // y grid: decades and 2x, 5x
        for (int d = (int) ly0; d <= (int) ly1; d++) {
            for (int m : new int[] {1, 2, 5}) {
                double v = m * Math.pow(10, d);
                if (Math.log10(v) > ly1 + 1e-9) {
                    continue;
                }
                int y = (int) sy.applyAsDouble(v);
                g.setColor(m == 1 ? new Color(0xcccccc) : new Color(0xeeeeee));
                g.drawLine(left, y, left + pw, y);
                g.setColor(Color.DARK_GRAY);
                String label = v >= 1 ? String.format("%.0f", v) : String.format("%.1f", v);
                g.drawString(label, left - 8 - fm.stringWidth(label), y + 5);
            }
        }
        // x ticks at the measured sizes
        java.util.TreeSet<Double> xs = new java.util.TreeSet<>();
        series.values().forEach(pts -> pts.forEach(p -> xs.add(p.x())));
        for (double x : xs) {
            int px = (int) sx.applyAsDouble(x);
            g.setColor(new Color(0xeeeeee));
            g.drawLine(px, top, px, top + ph);
            g.setColor(Color.DARK_GRAY);
            String label =
                    x >= 1000 ? String.format("%.2f GB", x / 1000) : String.format("%.0f MB", x);
            g.drawString(label, px - fm.stringWidth(label) / 2, top + ph + 20);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, pw, ph);

        int i = 0;
        int legendY = top + 10;
        for (Map.Entry<String, List<Point>> e : series.entrySet()) {
            Color c = COLORS[i++ % COLORS.length];
            g.setColor(c);
            g.setStroke(new BasicStroke(2.5f));
            List<Point> pts = e.getValue();
            for (int k = 1; k < pts.size(); k++) {
                g.drawLine(
                        (int) sx.applyAsDouble(pts.get(k - 1).x()),
                        (int) sy.applyAsDouble(pts.get(k - 1).y()),
                        (int) sx.applyAsDouble(pts.get(k).x()),
                        (int) sy.applyAsDouble(pts.get(k).y()));
            }
            for (Point p : pts) {
                int px = (int) sx.applyAsDouble(p.x());
                int py = (int) sy.applyAsDouble(p.y());
                g.fillOval(px - 5, py - 5, 10, 10);
                String v = String.format("%.0f", p.y());
                g.setColor(Color.BLACK);
                g.drawString(v, px + 8, py - 6);
                g.setColor(c);
            }
            g.fillRect(left + pw + 20, legendY - 9, 22, 10);
            g.setColor(Color.BLACK);
            g.drawString(e.getKey(), left + pw + 50, legendY);
            legendY += 24;
        }
        g.setStroke(new BasicStroke(1f));
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 17));
        g.drawString(title, left, top - 25);
        g.setFont(small);
        g.drawString(xLabel, left + pw / 2 - g.getFontMetrics().stringWidth(xLabel) / 2, h - 30);
        java.awt.geom.AffineTransform old = g.getTransform();
        g.rotate(-Math.PI / 2);
        g.drawString(yLabel, -(top + ph / 2) - g.getFontMetrics().stringWidth(yLabel) / 2, 30);
        g.setTransform(old);
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }

    static Map<String, List<Point>> newSeries() {
        return new LinkedHashMap<>();
    }
}
