package org.cyclicalpruning.tools.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.cyclicalpruning.modelops.snapshot.codec.InformationBound;
import org.cyclicalpruning.modelops.snapshot.codec.SparseTensorCodec;
import org.cyclicalpruning.schemas.SparseTensor;

/**
 * Snapshot encoding against the information-theoretic bound {@code 4*nnz + log2 C(n, nnz)/8} bytes
 * at several sparsities, and encode/decode speed, on a tensor of LeNet-300-100's size with a
 * random support.
 */
final class SnapshotBench {
    private static final int N = 266_610;
    private static final double[] SPARSITIES = {0.9, 0.95, 0.98, 0.99};

    private SnapshotBench() {}

    static Map<String, Object> run(int repeats) {
        Map<String, Object> vsBound = new LinkedHashMap<>();
        Map<String, Object> encodeMbs = new LinkedHashMap<>();
        Map<String, Object> decodeMbs = new LinkedHashMap<>();
        SplittableRandom random = new SplittableRandom(7);
        System.out.printf(Locale.ROOT, "snapshot encoding, n = %d weights:%n", N);
        for (double s : SPARSITIES) {
            float[] values = new float[N];
            long nnz = 0;
            for (int i = 0; i < N; i++) {
                if (random.nextDouble() >= s) {
                    values[i] = (float) random.nextGaussian();
                    nnz++;
                }
            }
            SparseTensor t = SparseTensorCodec.encode("w", new int[] {N}, values);
            double ratio = SparseTensorCodec.encodedBytes(t) / InformationBound.bytes(N, nnz);
            for (int r = 0; r < Math.min(3, repeats); r++) { // warm-up
                SparseTensorCodec.decode(SparseTensorCodec.encode("w", new int[] {N}, values));
            }
            long encodeNanos = 0;
            long decodeNanos = 0;
            for (int r = 0; r < repeats; r++) {
                long a = System.nanoTime();
                SparseTensor e = SparseTensorCodec.encode("w", new int[] {N}, values);
                long b = System.nanoTime();
                SparseTensorCodec.decode(e);
                long c = System.nanoTime();
                encodeNanos += b - a;
                decodeNanos += c - b;
            }
            // MB/s of the dense float32 tensor the snapshot stands for
            double denseMb = 4.0 * N / 1e6 * repeats;
            String key = String.format(Locale.ROOT, "%.2f", s);
            vsBound.put(key, ratio);
            encodeMbs.put(key, denseMb / (encodeNanos / 1e9));
            decodeMbs.put(key, denseMb / (decodeNanos / 1e9));
            System.out.printf(
                    Locale.ROOT,
                    "  sparsity %.2f: %s, %d bytes, %.3fx the bound; encode %.0f MB/s, decode %.0f MB/s (dense float32 MB)%n",
                    s,
                    t.getEncoding(),
                    SparseTensorCodec.encodedBytes(t),
                    ratio,
                    encodeMbs.get(key),
                    decodeMbs.get(key));
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("snapshot_vs_bound", vsBound);
        figures.put("snapshot_encode_mb_per_second", encodeMbs);
        figures.put("snapshot_decode_mb_per_second", decodeMbs);
        return figures;
    }
}
