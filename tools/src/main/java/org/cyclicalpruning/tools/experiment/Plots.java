package org.cyclicalpruning.tools.experiment;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG plots of experiment curves and of a stream's snapshots: two panels (sparsity above, quality
 * below) sharing their horizontal axis, one line per run or model.
 *
 * <p>XChart (Apache-2.0) renders headless, with no display, which suits CI and servers; only its
 * bitmap encoder is used, so its optional vector and PDF libraries are left out of the build.
 */
public final class Plots {
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)
    };
    private static final int WIDTH = 1100;
    private static final int PANEL_HEIGHT = 400;

    private Plots() {}

    /**
     * Writes the plot of the first seed's runs.
     *
     * @param runs results with curves
     * @param qualityLabel axis label of the quality panel
     * @param file the PNG to write
     * @throws IOException if the file cannot be written
     */
    public static void writeCurves(List<RunResult> runs, String qualityLabel, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        long firstSeed = runs.get(0).seed();
        XYChart sparsity = panel("Sparsity and quality against steps", "training step", "mask sparsity");
        XYChart quality = panel(null, "training step", qualityLabel);
        int colour = 0;
        for (RunResult r : runs) {
            if (r.seed() != firstSeed || r.curve().isEmpty()) {
                continue;
            }
            String name =
                    r.method().equals("dense") ? "dense" : String.format("%s %.2f", r.method(), r.targetSparsity());
            List<Double> steps = new ArrayList<>();
            List<Double> s = new ArrayList<>();
            List<Double> q = new ArrayList<>();
            for (RunResult.CurvePoint p : r.curve()) {
                steps.add((double) p.step());
                s.add(p.sparsity());
                q.add(p.quality());
            }
            line(sparsity, name, steps, s, colour, true);
            line(quality, name, steps, q, colour, false);
            colour++;
        }
        write(List.of(sparsity, quality), file);
    }

    /**
     * Writes the plot of a stream's snapshots: each model's sparsity and prequential accuracy
     * against event time, with the drift and every drift detection marked.
     *
     * @param snapshots per model, in version order
     * @param start the stream's first event time (epoch ms), time 0 of the plot
     * @param driftTime when the data changed (epoch ms), {@link Long#MAX_VALUE} for never
     * @param file the PNG to write
     * @throws IOException if the file cannot be written
     */
    public static void writeSnapshots(
            Map<String, List<SparseModelSnapshot>> snapshots, long start, long driftTime, Path file)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart sparsity = panel(
                "Snapshots: sparsity and prequential accuracy (grey: drift; red: a drift-aware model's detection)",
                "event time (s)",
                "sparsity");
        XYChart accuracy = panel(null, "event time (s)", "prequential accuracy");
        int colour = 0;
        for (Map.Entry<String, List<SparseModelSnapshot>> e : snapshots.entrySet()) {
            List<Double> seconds = new ArrayList<>();
            List<Double> s = new ArrayList<>();
            List<Double> accuracySeconds = new ArrayList<>();
            List<Double> a = new ArrayList<>();
            for (SparseModelSnapshot snapshot : e.getValue()) {
                double t = (snapshot.getEventTime() - start) / 1000.0;
                seconds.add(t);
                s.add(snapshot.getSparsity());
                if (snapshot.getAccuracy() != null) {
                    accuracySeconds.add(t);
                    a.add(snapshot.getAccuracy());
                }
            }
            line(sparsity, e.getKey(), seconds, s, colour, true);
            if (!a.isEmpty()) {
                line(accuracy, e.getKey(), accuracySeconds, a, colour, false);
            }
            colour++;
        }
        for (XYChart panel : List.of(sparsity, accuracy)) {
            if (driftTime != Long.MAX_VALUE) {
                marker(panel, (driftTime - start) / 1000.0, Color.GRAY);
            }
            // where a drift-aware model's detector fired: the event time of the batch that triggered it
            snapshots.values().stream()
                    .flatMap(List::stream)
                    .filter(s -> s.getDrift() != null && s.getDrift().getRestart())
                    .map(s -> s.getDrift().getLastDetectionEventTime())
                    .distinct()
                    .forEach(detected -> marker(panel, (detected - start) / 1000.0, Color.RED));
        }
        // a regression has no accuracy: its panel would be empty
        write(accuracy.getSeriesMap().isEmpty() ? List.of(sparsity) : List.of(sparsity, accuracy), file);
    }

    // ------------- private helpers --------------

    private static XYChart panel(String title, String xLabel, String yLabel) {
        XYChart chart = new XYChartBuilder()
                .width(WIDTH)
                .height(PANEL_HEIGHT)
                .title(title == null ? "" : title)
                .xAxisTitle(xLabel)
                .yAxisTitle(yLabel)
                .build();
        XYStyler styler = chart.getStyler();
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setPlotBackgroundColor(Color.WHITE);
        styler.setPlotGridLinesColor(Color.LIGHT_GRAY);
        styler.setLegendPosition(Styler.LegendPosition.OutsideS);
        styler.setLegendLayout(Styler.LegendLayout.Horizontal);
        styler.setChartTitleVisible(title != null);
        styler.setYAxisDecimalPattern("0.00");
        return chart;
    }

    /** Adds a line; the same colour for a run in every panel, the legend in the top panel only. */
    private static void line(XYChart chart, String name, List<Double> x, List<Double> y, int colour, boolean inLegend) {
        chart.getStyler().setLegendVisible(inLegend);
        XYSeries series = chart.addSeries(name, x, y);
        series.setMarker(SeriesMarkers.NONE);
        series.setLineColor(PALETTE[colour % PALETTE.length]);
        series.setLineStyle(new BasicStroke(1.6f));
    }

    /** A dashed vertical line over the panel's data, left out of the legend. */
    private static void marker(XYChart chart, double x, Color colour) {
        double low = Double.POSITIVE_INFINITY;
        double high = Double.NEGATIVE_INFINITY;
        for (XYSeries series : chart.getSeriesMap().values()) {
            for (double y : series.getYData()) {
                low = Math.min(low, y);
                high = Math.max(high, y);
            }
        }
        if (low > high) {
            return; // an empty panel (a regression has no accuracy)
        }
        XYSeries line = chart.addSeries(
                (colour == Color.RED ? "detected @" : "drift @") + x + " "
                        + chart.getSeriesMap().size(),
                new double[] {x, x},
                new double[] {low, high});
        line.setShowInLegend(false);
        line.setMarker(SeriesMarkers.NONE);
        line.setLineColor(colour);
        line.setLineStyle(
                new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {5f, 4f}, 0f));
    }

    private static void write(List<XYChart> panels, Path file) throws IOException {
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        try (var out = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(panels, panels.size(), 1, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
