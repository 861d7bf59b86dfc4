package org.cyclicalpruning.tools.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.serving.NpzExport;
import org.cyclicalpruning.serving.OnnxExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Writes one snapshot from the file sink's Avro files as a NumPy archive or an ONNX model. */
@Command(
        name = "export",
        description = "Write a snapshot as a NumPy .npz archive (one .npy per tensor, or values and flat indices with"
                + " --sparse, plus meta.json) or, with --format onnx, as an ONNX model (Gemm and Relu; Conv, BatchNormalization and MaxPool for a CNN; dense"
                + " initializers or with --sparse sparse ones, id, version, schedule and sparsity in metadata_props)."
                + " Takes the latest snapshot"
                + " unless --version is given.")
final class ExportCommand implements Callable<Integer> {
    @Parameters(
            index = "0",
            paramLabel = "SNAPSHOTS",
            description =
                    "An Avro snapshot file, as the job's file sink writes them, or a folder of them (snapshot-dir, demo --out).")
    Path input;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "FILE",
            description = "The .npz archive or .onnx model to write (replaced if it exists).")
    Path out;

    @Option(names = "--version", paramLabel = "V", description = "Export this version instead of the latest.")
    Long version;

    @Option(names = "--model", description = "The model to export; needed when the input holds several.")
    String model;

    @Option(names = "--format", defaultValue = "npz", description = "npz or onnx (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(
            names = "--sparse",
            description = "Write values, int64 flat row-major indices and shape per tensor instead of dense arrays"
                    + " (onnx: weight matrices as sparse_initializers).")
    boolean sparse;

    // no mixinStandardHelpOptions: its -V/--version would take the name --version needs here
    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "Show this help message and exit.")
    boolean help;

    @Spec
    CommandSpec command;

    @Override
    public Integer call() throws IOException {
        SparseModelSnapshot snapshot = choose(read(input));
        if (Files.isDirectory(out)) {
            throw new IllegalArgumentException(
                    "--out " + out + " is a folder; give the archive's file name, e.g. model.npz");
        }
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        PrintWriter printer = command.commandLine().getOut();
        switch (format.trim().toLowerCase(Locale.ROOT)) {
            case "npz":
                break;
            case "onnx":
                OnnxExport.write(
                        snapshot, sparse ? OnnxExport.Initializers.SPARSE : OnnxExport.Initializers.DENSE, out);
                printer.printf(
                        Locale.ROOT,
                        "wrote %s (%d bytes, ONNX, %s initializers): %s v%d, %s, sparsity %.4f, input '%s', output '%s'%n",
                        out,
                        Files.size(out),
                        sparse ? "sparse" : "dense",
                        snapshot.getModelId(),
                        snapshot.getVersion(),
                        ModelSpec.fromAvro(snapshot.getSpec()),
                        snapshot.getSparsity(),
                        OnnxExport.INPUT,
                        OnnxExport.OUTPUT);
                printer.flush();
                return 0;
            default:
                throw new IllegalArgumentException("--format must be npz or onnx, got '" + format + "'");
        }
        NpzExport.Layout layout = sparse ? NpzExport.Layout.SPARSE : NpzExport.Layout.DENSE;
        List<String> entries = NpzExport.write(snapshot, layout, out);

        printer.printf(
                Locale.ROOT,
                "wrote %s (%d bytes, %s layout): %s v%d, %s, sparsity %.4f, step %d, event time %s%n",
                out,
                Files.size(out),
                layout.name().toLowerCase(Locale.ROOT),
                snapshot.getModelId(),
                snapshot.getVersion(),
                ModelSpec.fromAvro(snapshot.getSpec()),
                snapshot.getSparsity(),
                snapshot.getStep(),
                Instant.ofEpochMilli(snapshot.getEventTime()));
        entries.forEach(e -> printer.println("  " + e));
        printer.flush();
        return 0;
    }

    private static List<SparseModelSnapshot> read(Path input) throws IOException {
        if (!Files.exists(input)) {
            throw new IllegalArgumentException("SNAPSHOTS " + input + " does not exist");
        }
        List<SparseModelSnapshot> snapshots;
        try {
            snapshots = Files.isDirectory(input) ? InspectCommand.fromFiles(input) : ModelSnapshots.readFile(input);
        } catch (UncheckedIOException e) {
            // a file that is not an Avro container of snapshots is bad input, not a crash
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (snapshots.isEmpty()) {
            throw new IllegalArgumentException("no snapshots in " + input
                    + (Files.isDirectory(input)
                            ? " (finished .avro files only; in-progress ones start with a dot)"
                            : ""));
        }
        return snapshots;
    }

    private SparseModelSnapshot choose(List<SparseModelSnapshot> snapshots) {
        TreeSet<String> models =
                snapshots.stream().map(SparseModelSnapshot::getModelId).collect(Collectors.toCollection(TreeSet::new));
        if (model == null && models.size() > 1) {
            throw new IllegalArgumentException(String.format(
                    "%s holds snapshots of %d models (%s); pick one with --model",
                    input, models.size(), String.join(", ", models)));
        }
        String id = model != null ? model : models.first();
        List<SparseModelSnapshot> ofModel =
                snapshots.stream().filter(s -> s.getModelId().equals(id)).toList();
        if (ofModel.isEmpty()) {
            throw new IllegalArgumentException(String.format(
                    "no snapshot of model '%s' in %s; it holds %s", id, input, String.join(", ", models)));
        }
        if (version == null) {
            return ofModel.stream()
                    .max(Comparator.comparingLong(SparseModelSnapshot::getVersion))
                    .orElseThrow();
        }
        Optional<SparseModelSnapshot> exact =
                ofModel.stream().filter(s -> s.getVersion() == version).findFirst();
        return exact.orElseThrow(() -> new IllegalArgumentException(String.format(
                "model '%s' has no version %d in %s; versions: %s",
                id,
                version,
                input,
                ofModel.stream()
                        .map(s -> s.getVersion())
                        .sorted()
                        .distinct()
                        .map(String::valueOf)
                        .collect(Collectors.joining(", ")))));
    }
}
