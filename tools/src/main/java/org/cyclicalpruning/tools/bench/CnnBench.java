package org.cyclicalpruning.tools.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.IntToDoubleFunction;

/**
 * Training speed of {@code fashion-cnn} against the same loop in PyTorch eager ({@code
 * reference/torch_loop.py --model fashion-cnn}, Debian's {@code python3-torch}), side by side:
 * in each round our loop, then the reference's in a child process, the same steps of batch 128 on
 * Fashion-MNIST; the figure is the median of the rounds' ratios. Both use the process's default
 * threads (one per core).
 */
final class CnnBench {
    private CnnBench() {}

    /**
     * Runs the comparison.
     *
     * @param javaNanosPerStep trains {@code steps} steps of fashion-cnn and returns ns per step
     * @param reference the PyTorch loop's script
     * @return the figures, or empty (with the reason printed) if the reference cannot run here
     */
    static Optional<Map<String, Object>> run(
            IntToDoubleFunction javaNanosPerStep,
            Path reference,
            int rounds,
            int steps,
            int batchSize,
            StringBuilder md)
            throws IOException, InterruptedException {
        if (!Files.isRegularFile(reference)) {
            System.out.println("cnn against PyTorch: skipped, no " + reference + " (run bench from the checkout)");
            return Optional.empty();
        }
        double[] ours = new double[rounds];
        double[] theirs = new double[rounds];
        double[] ratios = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            ours[r] = batchSize / (javaNanosPerStep.applyAsDouble(steps) / 1e9);
            Optional<Double> torch = torchSamplesPerSecond(
                    reference,
                    List.of("--model", "fashion-cnn", "--methods", "dense", "--max-steps", String.valueOf(steps)));
            if (torch.isEmpty()) {
                return Optional.empty();
            }
            theirs[r] = torch.get();
            ratios[r] = ours[r] / theirs[r];
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("cnn_samples_per_second", Rounds.median(ours));
        figures.put("cnn_torch_samples_per_second", Rounds.median(theirs));
        figures.put("cnn_vs_torch", Rounds.median(ratios));
        String row = String.format(
                Locale.ROOT,
                "| fashion-cnn training, batch %d | ours %.0f samples/s | PyTorch eager %.0f samples/s | %.2fx |",
                batchSize,
                Rounds.median(ours),
                Rounds.median(theirs),
                Rounds.median(ratios));
        System.out.println(row);
        md.append('\n').append(row).append('\n');
        return Optional.of(figures);
    }

    /**
     * Runs the PyTorch reference loop with {@code args} and returns the training samples per second
     * it reports, or empty (with the reason printed) if it cannot run here.
     */
    static Optional<Double> torchSamplesPerSecond(Path reference, List<String> args)
            throws IOException, InterruptedException {
        Path csv = Files.createTempFile("torch-loop", ".csv");
        Files.delete(csv); // the script writes its header only into a new file
        List<String> command = new java.util.ArrayList<>(List.of("/usr/bin/python3", reference.toString()));
        command.addAll(args);
        command.addAll(List.of("--csv", csv.toString()));
        ProcessBuilder pb =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        // the machine's own OpenBLAS tuning variables would time another BLAS than the default
        pb.environment().remove("OPENBLAS_CORETYPE");
        pb.environment().remove("OPENBLAS_L2_SIZE");
        Process p = pb.start();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            System.out.println("against PyTorch: skipped, the reference failed (is python3-torch installed?)");
            return Optional.empty();
        }
        try {
            List<String> lines = Files.readAllLines(csv);
            List<String> header = List.of(lines.get(0).split(","));
            String[] row = lines.get(1).split(",");
            return Optional.of(Double.parseDouble(row[header.indexOf("samples_per_second")]));
        } finally {
            Files.deleteIfExists(csv);
        }
    }
}
