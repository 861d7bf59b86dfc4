package org.cyclicalpruning.tools.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.modelops.snapshot.TestSnapshots;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.serving.SnapshotPredictor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code export} end to end: snapshots in an Avro container file, the archive read back by NumPy
 * (Debian's python3-numpy), the forward pass recomputed in NumPy and compared with DJL's.
 */
class ExportCommandTest {
    private static final ModelSpec MLP = ModelSpec.parse("mlp:20-8-3");
    private static final ModelSpec LOGISTIC = ModelSpec.logistic(20);
    private static final int ROWS = 5;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Loads the archive with NumPy, rebuilds every tensor (dense, or from values, indices and
     * shape), runs x @ W.T + b per layer with ReLU between, and prints all of it as JSON.
     */
    private static final String NUMPY_FORWARD = String.join(
            "\n",
            "import json, sys",
            "import numpy as np",
            "path, layout, x_json = sys.argv[1:4]",
            "z = np.load(path)",
            "meta = json.loads(z['meta.json'])",
            "def tensor(name):",
            "    if layout == 'dense':",
            "        return z[name]",
            "    shape = z[name + '.shape']",
            "    assert z[name + '.indices'].dtype == np.int64 and z[name + '.values'].dtype == np.float32",
            "    flat = np.zeros(int(np.prod(shape)), dtype=np.float32)",
            "    flat[z[name + '.indices']] = z[name + '.values']",
            "    return flat.reshape(tuple(shape))",
            "widths = meta['layer_widths']",
            "h = np.array(json.loads(x_json), dtype=np.float32).reshape(-1, widths[0])",
            "layers = len(widths) - 1",
            "for l in range(layers):",
            "    W, b = tensor('layer%d.weight' % l), tensor('layer%d.bias' % l)",
            "    assert W.dtype == np.float32 and W.shape == (widths[l + 1], widths[l]), (W.dtype, W.shape)",
            "    h = h @ W.T + b",
            "    if l < layers - 1:",
            "        h = np.maximum(h, 0)",
            "names = [t['name'] for t in meta['tensors']]",
            "print(json.dumps({'meta': meta, 'files': sorted(z.files), 'outputs': h.astype(float).ravel().tolist(),",
            "    'tensors': {n: tensor(n).astype(float).ravel().tolist() for n in names},",
            "    'nnz': {n: int(np.count_nonzero(tensor(n))) for n in names}}))");

    @Test
    void numpyReadsTheDenseArchiveAndComputesTheSameOutputsAsDjl(@TempDir Path dir) throws Exception {
        Path avro = writeAvro(dir.resolve("part-0.avro"), mlp(1), lr(1), mlp(2), lr(2));
        Path npz = dir.resolve("mlp.npz");

        Result r = export(avro.toString(), "--out", npz.toString(), "--model", "mlp");

        assertThat(r.code).as(r.err).isZero();
        assertThat(r.out).contains("wrote " + npz, "mlp v2", "dense layout", "layer0.weight.npy", "meta.json");
        JsonNode numpy = numpyForward(npz, "dense", 20);
        assertThat(numpy.get("files"))
                .extracting(JsonNode::asText)
                .containsExactly("layer0.bias", "layer0.weight", "layer1.bias", "layer1.weight", "meta.json");
        assertThat(numpy.at("/meta/model_id").asText()).isEqualTo("mlp");
        assertThat(numpy.at("/meta/version").asLong()).isEqualTo(2);
        assertThat(numpy.at("/meta/spec").asText()).isEqualTo("mlp:20-8-3");
        assertMatchesJava(numpy, mlp(2));
    }

    @Test
    void numpyReadsTheSparseArchiveOfAnMlpAndOfALogisticModel(@TempDir Path dir) throws Exception {
        Path avro = writeAvro(dir.resolve("part-0.avro"), mlp(1), lr(1), mlp(2), lr(2), mlp(3));

        Path mlpNpz = dir.resolve("mlp-sparse.npz");
        Result r = export(avro.toString(), "--out", mlpNpz.toString(), "--model", "mlp", "--sparse");
        assertThat(r.code).as(r.err).isZero();
        assertThat(r.out).contains("mlp v3", "sparse layout", "layer0.weight.indices.npy");
        JsonNode numpy = numpyForward(mlpNpz, "sparse", 20);
        assertThat(numpy.get("files"))
                .extracting(JsonNode::asText)
                .contains("layer0.weight.values", "layer0.weight.indices", "layer0.weight.shape");
        assertThat(numpy.at("/meta/layout").asText()).isEqualTo("sparse");
        assertMatchesJava(numpy, mlp(3));

        Path lrNpz = dir.resolve("lr.npz");
        r = export(avro.toString(), "--out", lrNpz.toString(), "--model", "lr", "--version", "1", "--sparse");
        assertThat(r.code).as(r.err).isZero();
        JsonNode lrNumpy = numpyForward(lrNpz, "sparse", 20);
        assertThat(lrNumpy.at("/meta/version").asLong()).isEqualTo(1);
        assertThat(lrNumpy.at("/meta/kind").asText()).isEqualTo("LOGISTIC_REGRESSION");
        assertMatchesJava(lrNumpy, lr(1));
    }

    @Test
    void aFolderOfSnapshotFilesGivesTheLatestVersion(@TempDir Path dir) throws Exception {
        Path snapshots = dir.resolve("snapshots");
        writeAvro(Files.createDirectories(snapshots.resolve("lr")).resolve("part-0-0.avro"), lr(1), lr(2));
        writeAvro(snapshots.resolve("lr").resolve("part-0-1.avro"), lr(3));
        writeAvro(snapshots.resolve("lr").resolve(".part-0-2.avro.inprogress.avro"), lr(4)); // not finished: not read
        Path npz = dir.resolve("out").resolve("lr.npz");

        Result r = export(snapshots.toString(), "--out", npz.toString());

        assertThat(r.code).as(r.err).isZero();
        assertThat(r.out).contains("lr v3");
        assertThat(numpyForward(npz, "dense", 20).at("/meta/version").asLong()).isEqualTo(3);
    }

    @Test
    void formatOnnxWritesAModelOfGemmAndReluNamedAfterTheSnapshot(@TempDir Path dir) throws Exception {
        Path avro = writeAvro(dir.resolve("part-0.avro"), mlp(1), mlp(2));
        Path onnx = dir.resolve("mlp.onnx");

        Result r = export(avro.toString(), "--out", onnx.toString(), "--format", "onnx");

        assertThat(r.code).as(r.err).isZero();
        assertThat(r.out).contains("ONNX").contains("mlp v2");
        ai.onnx.proto.OnnxMl.ModelProto model = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(Files.readAllBytes(onnx));
        assertThat(model.getGraph().getNodeList())
                .extracting(ai.onnx.proto.OnnxMl.NodeProto::getOpType)
                .containsExactly("Gemm", "Relu", "Gemm", "Identity"); // the last names the output
        assertThat(model.getMetadataPropsList())
                .anySatisfy(p -> assertThat(p.getKey() + "=" + p.getValue()).isEqualTo("model_id=mlp"))
                .anySatisfy(p -> assertThat(p.getKey() + "=" + p.getValue()).isEqualTo("version=2"));
        Path sparse = dir.resolve("mlp-sparse.onnx");
        Result s = export(avro.toString(), "--out", sparse.toString(), "--format", "onnx", "--sparse");
        assertThat(s.code).as(s.err).isZero();
        assertThat(ai.onnx.proto.OnnxMl.ModelProto.parseFrom(Files.readAllBytes(sparse))
                        .getGraph()
                        .getSparseInitializerCount())
                .isEqualTo(2);
        assertError(
                export(avro.toString(), "--out", onnx.toString(), "--format", "tflite"),
                "--format must be npz or onnx");
    }

    @Test
    void badArgumentsSayWhatToFix(@TempDir Path dir) throws Exception {
        Path avro = writeAvro(dir.resolve("part-0.avro"), mlp(1), lr(1));
        String out = dir.resolve("x.npz").toString();

        assertError(
                export(avro.toString(), "--out", out), "holds snapshots of 2 models (lr, mlp); pick one with --model");
        assertError(export(avro.toString(), "--out", out, "--model", "cnn"), "no snapshot of model 'cnn'", "lr, mlp");
        assertError(
                export(avro.toString(), "--out", out, "--model", "lr", "--version", "7"),
                "model 'lr' has no version 7",
                "versions: 1");
        assertError(export(dir.resolve("missing.avro").toString(), "--out", out), "missing.avro does not exist");
        Path notAvro = Files.writeString(dir.resolve("notes.avro"), "hello");
        assertError(export(notAvro.toString(), "--out", out), "cannot read snapshots from");
        assertError(export(avro.toString(), "--out", dir.toString(), "--model", "lr"), "is a folder");
        assertThat(Files.exists(Path.of(out))).isFalse();
    }

    private static void assertError(Result r, String... fragments) {
        assertThat(r.code).as(r.err).isEqualTo(2);
        assertThat(r.err).startsWith("error: ").contains(fragments);
    }

    /** Every tensor equals the Java decoding bit for bit; the outputs equal DJL's to 1e-5. */
    private static void assertMatchesJava(JsonNode numpy, SparseModelSnapshot snapshot) {
        ModelSpec spec = ModelSpec.fromAvro(snapshot.getSpec());
        float[][] params = ModelSnapshots.decodeTensors(snapshot);
        for (int p = 0; p < params.length; p++) {
            String name = spec.tensorNames().get(p);
            assertThat(floats(numpy.at("/tensors/" + name))).as(name).containsExactly(params[p]);
            assertThat(numpy.at("/nnz/" + name).asLong())
                    .as("nnz of " + name)
                    .isEqualTo(snapshot.getTensors().get(p).getNnz());
        }
        float[] x = TestSnapshots.features(ROWS, spec.inputs(), 42);
        try (SnapshotPredictor djl = SnapshotPredictor.load(snapshot)) {
            float[] expected = djl.predict(x, ROWS);
            assertThat(floats(numpy.get("outputs")))
                    .as("NumPy's forward pass against DJL's")
                    .containsExactly(expected, within(1e-5f));
        }
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }

    private static SparseModelSnapshot mlp(long version) {
        return TestSnapshots.snapshot("mlp", version, MLP, 0.7, version);
    }

    private static SparseModelSnapshot lr(long version) {
        return TestSnapshots.snapshot("lr", version, LOGISTIC, 0.6, 50 + version);
    }

    /** An Avro container file, as the job's file sink writes it. */
    private static Path writeAvro(Path file, SparseModelSnapshot... snapshots) throws IOException {
        try (DataFileWriter<SparseModelSnapshot> writer =
                new DataFileWriter<>(new SpecificDatumWriter<>(SparseModelSnapshot.class))) {
            writer.create(SparseModelSnapshot.getClassSchema(), file.toFile());
            for (SparseModelSnapshot s : snapshots) {
                writer.append(s);
            }
        }
        return file;
    }

    private record Result(int code, String out, String err) {}

    private static Result export(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.newCommandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 1];
        all[0] = "export";
        System.arraycopy(args, 0, all, 1, args.length);
        int code = cli.execute(all);
        return new Result(code, out.toString(), err.toString());
    }

    private static JsonNode numpyForward(Path npz, String layout, int inputs) throws Exception {
        float[] x = TestSnapshots.features(ROWS, inputs, 42); // the features assertMatchesJava uses
        return JSON.readTree(numpyRun(List.of("-c", NUMPY_FORWARD, npz.toString(), layout, Arrays.toString(x))));
    }

    /** Runs python3; fails (never skips) when python3 or NumPy is missing, saying what to install. */
    private static String numpyRun(List<String> args) throws Exception {
        // Debian's interpreter, where python3-numpy installs NumPy; another python3 on the PATH may lack it
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        List<String> command = new ArrayList<>(List.of(python));
        command.addAll(args);
        Process process;
        try {
            process = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.PIPE)
                    .start();
        } catch (IOException e) {
            return fail(
                    "python3 is not installed; this test reads the archive with NumPy: apt-get install -y python3-numpy ("
                            + e.getMessage() + ")");
        }
        process.getOutputStream().close();
        String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return fail("python3 did not finish within 60 s");
        }
        if (process.exitValue() != 0) {
            if (stderr.contains("No module named 'numpy'")) {
                return fail(
                        "NumPy is not installed; this test reads the archive with it: apt-get install -y python3-numpy");
            }
            return fail("python3 failed (exit " + process.exitValue() + "):\n" + stderr);
        }
        return stdout;
    }
}
