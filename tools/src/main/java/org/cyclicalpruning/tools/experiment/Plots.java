package org.cyclicalpruning.tools.experiment;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
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
        plot.add(panel(sparsity, "mask sparsity"), 1);
        plot.add(panel(quality, qualityLabel), 1);
        JFreeChart chart =
                new JFreeChart("Sparsity and quality against steps", JFreeChart.DEFAULT_TITLE_FONT, plot, true);
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
        }
        XYPlot plot = new XYPlot(data, null, axis, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return plot;
    }
}
