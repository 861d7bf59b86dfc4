package org.cyclicalpruning.modelops.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * oneDNN, the library PyTorch's CPU convolutions run on, and the instruction set it may use.
 *
 * <p>On processors with AVX-512, PyTorch 2.7's oneDNN backward pass through a convolution that
 * feeds another one now and then returns NaN for whole filters of the first: the same pass over the
 * same batch is clean when repeated, so it reads memory it never wrote. On small CNNs it hit 0 to
 * 27 steps in 300; the trainer rolls those steps back ({@code NON_FINITE_GRADIENT}), so the model
 * learns less and reaches a scheduled sparsity late. Capped at AVX2 with {@value #MAX_ISA}, the
 * same networks never produced one, and their training became reproducible run to run. oneDNN
 * reads the variable once, when the process starts using it, so only the environment that
 * launches the JVM can set it.
 */
public final class OneDnn {
    /** The environment variable that caps oneDNN's instruction set. */
    public static final String MAX_ISA = "ONEDNN_MAX_CPU_ISA";

    private static final Logger LOG = LoggerFactory.getLogger(OneDnn.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private OneDnn() {}

    /**
     * Returns whether convolutions here may run oneDNN's AVX-512 kernels: the processor has
     * AVX-512 and {@value #MAX_ISA} is not set.
     */
    public static boolean avx512Uncapped() {
        return Uncapped.ANSWER;
    }

    /** The environment and the processor do not change while the JVM runs: asked once, lazily. */
    private static final class Uncapped {
        static final boolean ANSWER = answer();

        private static boolean answer() {
            String cap = System.getenv(MAX_ISA);
            return (cap == null || cap.isBlank()) && cpuHasAvx512();
        }
    }

    /**
     * Logs one warning per JVM, naming {@value #MAX_ISA}, when a convolutional model is about to
     * train on a CPU whose oneDNN kernels are not capped.
     */
    public static void warnIfUncapped() {
        if (avx512Uncapped() && WARNED.compareAndSet(false, true)) {
            LOG.warn(
                    "convolutions train on oneDNN's AVX-512 kernels, whose backward pass now and then returns"
                            + " NaN gradients (those steps are rolled back and counted as NON_FINITE_GRADIENT);"
                            + " set {}=AVX2 in the environment that starts this JVM",
                    MAX_ISA);
        }
    }

    private static boolean cpuHasAvx512() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return false; // not Linux: no way to tell, and no warning
        }
        try (Stream<String> lines = Files.lines(cpuinfo)) {
            return lines.filter(l -> l.startsWith("flags"))
                    .findFirst()
                    .map(l -> l.contains(" avx512f"))
                    .orElse(false);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
