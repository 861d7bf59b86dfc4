package org.cyclicalpruning.modelops.mask.select;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mask update's passes over the weights in C (vectorised with AVX-512 or AVX2 where the
 * processor has them), working in place on tensors in native memory through direct buffers.
 *
 * <p>Why native: on LeNet-300-100 one pass over the weights written in Java costs about 7% of a
 * training step, so a mask recomputed every step cannot stay under 5% of the step in Java however
 * few passes it makes; the vectorised passes cost a fraction of that. The library is compiled by
 * the build (src/main/c) into the jar under {@code native/<os>-<arch>/}; where it is missing or
 * cannot load (another platform, a build without a C compiler, or {@code
 * -Dcyclicalpruning.native=false}), {@code MagnitudePruner} uses its Java path, which gives the
 * same masks.
 *
 * <p>Each class loader extracts its own copy: a JVM binds a native library to one class loader,
 * and a Flink TaskManager gives every job its own.
 */
public final class NativeMaskKernels {
    private static final Logger LOG = LoggerFactory.getLogger(NativeMaskKernels.class);
    private static final String LIBRARY = "libcpmask.so";
    private static final String DISABLE_PROPERTY = "cyclicalpruning.native";

    private static final Optional<String> INSTRUCTION_SET = load();

    private NativeMaskKernels() {}

    /** Returns whether the kernels loaded. */
    public static boolean available() {
        return INSTRUCTION_SET.isPresent();
    }

    /** Returns the instruction set the kernels use ({@code avx512f}, {@code avx2}, {@code portable}), if loaded. */
    public static Optional<String> instructionSet() {
        return INSTRUCTION_SET;
    }

    /** Returns the jar resource that holds the library for this platform. */
    public static String resource() {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String platform = (os.contains("linux") ? "linux" : os.replaceAll("\\W", "")) + "-"
                + (arch.equals("amd64") ? "x86_64" : arch);
        return "/native/" + platform + "/" + LIBRARY;
    }

    /**
     * Counts the weights whose magnitude key is below {@code lo} and writes the keys in {@code
     * [lo, hi]} into {@code window} from {@code offset} on, as long as they fit.
     *
     * @return {@code below << 32 | gathered}, where gathered counts every key in [lo, hi], also
     *     those that did not fit; -1 if a buffer is not direct
     */
    public static native long scan(ByteBuffer weights, int n, int lo, int hi, int[] window, int offset);

    /**
     * Sets {@code kept} to the weights whose key is above {@code threshold} and, of those whose
     * key equals it, to all but the first {@code ties} by index; zeroes the other weights together
     * with their optimizer state ({@code state0}, {@code state1}: null when absent).
     *
     * @return the ties still to prune (in later tensors), or -1 if a buffer is not direct
     */
    public static native long project(
            ByteBuffer weights, ByteBuffer state0, ByteBuffer state1, int n, int threshold, long ties, long[] kept);

    /**
     * Adds to {@code counts} the churn, regrown, recovered and pruned counts of {@code old → kept},
     * marks the pruned weights in {@code ever}, and rewrites {@code mask} (float32 1/0, or null)
     * in the 64-weight blocks that changed.
     *
     * @return 0, or -1 if a buffer is not direct
     */
    public static native int account(long[] kept, long[] old, long[] ever, int n, ByteBuffer mask, long[] counts);

    /**
     * Writes the mask {@code kept} of n weights into {@code mask} as float32 1 (kept) / 0.
     *
     * @return 0, or -1 if the buffer is not direct
     */
    public static native int writeMask(long[] kept, int n, ByteBuffer mask);

    /**
     * Sparse weights times a batch, for serving (in this library so that there is one to build and
     * load). The batch is packed in {@code tiles} tiles of {@code width} (16 or 32) examples, see
     * {@link #repack}; for each tile and output r, {@code bias[r] + sum over k of values[k] * x[columns[k]]}
     * over the k of row r ({@code rowStart[r] <= k < rowStart[r + 1]}), ReLU if asked, into {@code
     * yp} packed the same way. The caller checks that indices and lengths fit.
     *
     * @return 0, or -1 if an array could not be pinned
     */
    public static native int spmm(
            int[] rowStart,
            int[] columns,
            float[] values,
            float[] bias,
            float[] xp,
            float[] yp,
            int inputs,
            int outputs,
            int tiles,
            int width,
            boolean relu);

    /**
     * Dense weights ({@code outputs × inputs}, row-major) times a batch packed as for {@link #spmm}:
     * for each tile and output r, {@code bias[r] + sum over i of weights[r * inputs + i] * x[i]},
     * ReLU if asked. The caller checks the lengths.
     *
     * @return 0, or -1 if an array could not be pinned
     */
    public static native int gemm(
            float[] weights,
            float[] bias,
            float[] xp,
            float[] yp,
            int inputs,
            int outputs,
            int tiles,
            int width,
            boolean relu);

    /**
     * The weight gradient of a layer at its kept positions only (a sampled dense-dense product),
     * for training while the mask holds: for each kept weight k of row r ({@code rowStart[r] <= k <
     * rowStart[r + 1]}) and column {@code columns[k]}, {@code grad[k]} = the sum over the batch of
     * {@code dz[r] * a[columns[k]]}, both packed in tiles as for {@link #spmm} ({@code dzp} with
     * {@code outputs}, {@code ap} with {@code inputs} values per example). The caller checks that
     * indices and lengths fit.
     *
     * @return 0, or -1 if an array could not be pinned
     */
    public static native int sddmm(
            int[] rowStart,
            int[] columns,
            float[] dzp,
            float[] ap,
            float[] grad,
            int inputs,
            int outputs,
            int tiles,
            int width);

    /**
     * Moves a batch of {@code rows × cols} values between rows (row-major) and tiles of {@code
     * width} examples: tile t holds, for each column i, its examples' values of i side by side, the
     * last tile padded with zeros ({@code ceil(rows / width) * cols * width} floats). The caller
     * checks the lengths.
     *
     * @param toTiles true to pack {@code from} (rows) into {@code to} (tiles), false to unpack
     * @return 0, or -1 if an array could not be pinned
     */
    public static native int repack(float[] from, float[] to, int rows, int cols, int width, boolean toTiles);

    /**
     * Packs {@code rows × cols} floats that a direct buffer holds (native order, from its start)
     * into tiles of {@code width} examples, as {@link #repack} does from an array. The caller
     * checks the lengths.
     *
     * @return 0, or -1 if the buffer is not direct or the array could not be pinned
     */
    public static native int packDirect(ByteBuffer from, float[] to, int rows, int cols, int width);

    /**
     * Returns the sum of the squares of the first {@code n} values, in float: an overflow gives
     * infinity. The caller checks the length.
     *
     * @return the sum, or -1 if the array could not be pinned
     */
    public static native float sumSquares(float[] values, int n);

    /**
     * Runs {@code steps} steps of {@link #PEAK_FLOPS_PER_STEP} independent vector multiply-adds
     * and nothing else: timed, the floating-point peak of one core that the serving kernels are
     * reported against.
     *
     * @return a value that depends on every step, so that none is optimised away
     */
    public static native float fmaPeak(long steps);

    /** Floating-point operations in one step of {@link #fmaPeak}: 12 chains of 16-float multiply-adds. */
    public static final int PEAK_FLOPS_PER_STEP = 12 * 16 * 2;

    private static native String instructionSet0();

    // ------------- private helpers --------------

    private static Optional<String> load() {
        if ("false".equalsIgnoreCase(System.getProperty(DISABLE_PROPERTY))) {
            LOG.info("native mask kernels disabled by -D{}=false; masks are computed in Java", DISABLE_PROPERTY);
            return Optional.empty();
        }
        String resource = resource();
        try (InputStream in = NativeMaskKernels.class.getResourceAsStream(resource)) {
            if (in == null) {
                LOG.info(
                        "no native mask kernels for this platform ({} is not in the jar); masks are computed in Java",
                        resource);
                return Optional.empty();
            }
            Path file = Files.createTempFile("cpmask-", ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            System.load(file.toAbsolutePath().toString());
            String isa = instructionSet0();
            LOG.debug("native mask kernels loaded ({})", isa);
            return Optional.of(isa);
        } catch (IOException | LinkageError | SecurityException e) {
            LOG.warn("native mask kernels did not load ({}); masks are computed in Java", e.toString());
            return Optional.empty();
        }
    }
}
