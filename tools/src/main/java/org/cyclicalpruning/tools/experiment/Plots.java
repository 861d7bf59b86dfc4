package org.cyclicalpruning.tools.experiment;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * PNG plots of experiment curves: the sparsity each run's mask had, and its quality (test
 * accuracy, or support recall on teacher tasks), against training steps, one line per run.
 *
 * <p>JFreeChart renders headless (no display needed), which suits CI and servers.
 */
public final class Plots {
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)
    };

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
        XYSeriesCollection sparsity = new XYSeriesCollection();
        XYSeriesCollection quality = new XYSeriesCollection();
        for (RunResult r : runs) {
            if (r.seed() != firstSeed) {
                continue;
            }
            String name =
                    r.method().equals("dense") ? "dense" : String.format("%s %.2f", r.method(), r.targetSparsity());
            XYSeries s = new XYSeries(name, false, true);
            XYSeries q = new XYSeries(name, false, true);
            for (RunResult.CurvePoint p : r.curve()) {
                s.add(p.step(), p.sparsity());
                q.add(p.step(), p.quality());
            }
            sparsity.addSeries(s);
            quality.addSeries(q);
        }
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(new NumberAxis("training step"));
        XYPlot bottom = panel(quality, qualityLabel);
        bottom.getRenderer().setDefaultSeriesVisibleInLegend(false);
        plot.add(panel(sparsity, "mask sparsity"), 1);
        plot.add(bottom, 1);
        JFreeChart chart =
                new JFreeChart("Sparsity and quality against steps", JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 1100, 800);
    }

    /**
     * Writes the plot of a stream's snapshots: each model's sparsity and prequential accuracy
     * against event time, with the drift marked.
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
        XYSeriesCollection sparsity = new XYSeriesCollection();
        XYSeriesCollection accuracy = new XYSeriesCollection();
        snapshots.forEach((model, list) -> {
            XYSeries s = new XYSeries(model, false, true);
            XYSeries a = new XYSeries(model, false, true);
            for (SparseModelSnapshot snapshot : list) {
                double seconds = (snapshot.getEventTime() - start) / 1000.0;
                s.add(seconds, snapshot.getSparsity());
                if (snapshot.getAccuracy() != null) {
                    a.add(seconds, snapshot.getAccuracy());
                }
            }
            sparsity.addSeries(s);
            accuracy.addSeries(a);
        });
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(new NumberAxis("event time (s)"));
        XYPlot top = panel(sparsity, "sparsity");
        XYPlot bottom = panel(accuracy, "prequential accuracy");
        if (driftTime != Long.MAX_VALUE) {
            for (XYPlot p : List.of(top, bottom)) {
                ValueMarker marker = new ValueMarker((driftTime - start) / 1000.0, Color.GRAY, new BasicStroke(1f));
                marker.setLabel("drift");
                p.addDomainMarker(marker);
            }
        }
        // where a drift-aware model's detector fired: the event time of the batch that triggered it
        snapshots.values().stream()
                .flatMap(List::stream)
                .filter(s -> s.getDrift() != null && s.getDrift().getRestart())
                .map(s -> s.getDrift().getLastDetectionEventTime())
                .distinct()
                .forEach(detected -> {
                    ValueMarker marker = new ValueMarker(
                            (detected - start) / 1000.0,
                            Color.RED,
                            new BasicStroke(
                                    1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {4f, 4f}, 0f));
                    marker.setLabel("detected");
                    marker.setLabelAnchor(org.jfree.chart.ui.RectangleAnchor.BOTTOM_LEFT);
                    marker.setLabelTextAnchor(org.jfree.chart.ui.TextAnchor.BOTTOM_RIGHT);
                    top.addDomainMarker(marker);
                });
        bottom.getRenderer().setDefaultSeriesVisibleInLegend(false);
        plot.add(top, 1);
        plot.add(bottom, 1);
        JFreeChart chart = new JFreeChart(
                "Snapshots: sparsity and prequential accuracy", JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 1100, 800);
    }

    private static XYPlot panel(XYSeriesCollection data, String label) {
        NumberAxis axis = new NumberAxis(label);
        axis.setAutoRangeIncludesZero(false);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesStroke(i, new BasicStroke(1.6f));
            // the same colour for a run in every panel: combined plots otherwise share one palette
            renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        }
        XYPlot plot = new XYPlot(data, null, axis, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return plot;
    }
}
