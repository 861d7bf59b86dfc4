package org.cyclicalpruning.tools.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.cyclicalpruning.modelops.mask.MagnitudePruner;
import org.cyclicalpruning.modelops.mask.MaskState;
import org.cyclicalpruning.modelops.mask.PruningMode;
import org.cyclicalpruning.modelops.snapshot.codec.SparseTensorCodec;
import org.cyclicalpruning.schemas.SparseTensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The hot paths outside PyTorch: one exact magnitude-mask update over all of a model's weights,
 * and encoding and decoding a pruned tensor for a snapshot. A memory pass over the same weights
 * ({@link #readWeightsOnce}) is the floor any mask update has to pay.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HotPathBenchmarks {
    /** LeNet-300-100's and 784-1024-1024-10's prunable weights. */
    @Param({"266200", "1861632"})
    public int weights;

    @Param({"0.9", "0.99"})
    public double sparsity;

    private ByteBuffer[] raw;
    private ByteBuffer[] trained; // two versions of the weights, a step of training apart
    private ByteBuffer[] live;
    private ByteBuffer[][] optimizerState;
    private MaskState inPlaceState;
    private MagnitudePruner inPlacePruner;
    private int version;
    private FloatBuffer[] mask;
    private MaskState state;
    private MagnitudePruner pruner;
    private float[] pruned;
    private SparseTensor encoded;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(1);
        ByteBuffer w = ByteBuffer.allocateDirect(4 * weights).order(ByteOrder.nativeOrder());
        pruned = new float[weights];
        for (int i = 0; i < weights; i++) {
            float v = (float) random.nextGaussian();
            w.putFloat(4 * i, v);
            pruned[i] = random.nextDouble() < sparsity ? 0f : v;
        }
        raw = new ByteBuffer[] {w};
        mask = new FloatBuffer[] {
            ByteBuffer.allocateDirect(4 * weights)
                    .order(ByteOrder.nativeOrder())
                    .asFloatBuffer()
        };
        state = MaskState.dense(weights);
        pruner = new MagnitudePruner(
                PruningMode.global(), new int[] {weights}, new int[] {8}); // rows only matter for N:M
        encoded = SparseTensorCodec.encode("w", new int[] {weights}, pruned);

        trained = new ByteBuffer[2];
        for (int v = 0; v < 2; v++) {
            trained[v] = ByteBuffer.allocateDirect(4 * weights).order(ByteOrder.nativeOrder());
            for (int i = 0; i < weights; i++) {
                trained[v].putFloat(4 * i, w.getFloat(4 * i) + (float) (0.001 * random.nextGaussian()));
            }
        }
        live = new ByteBuffer[] {ByteBuffer.allocateDirect(4 * weights).order(ByteOrder.nativeOrder())};
        optimizerState =
                new ByteBuffer[][] {{ByteBuffer.allocateDirect(4 * weights).order(ByteOrder.nativeOrder())}};
        inPlaceState = MaskState.dense(weights);
        inPlacePruner = new MagnitudePruner(PruningMode.global(), new int[] {weights}, new int[] {8});
    }

    /**
     * The trainer's mask update: in place in native memory, with the weights of the next step
     * (copied in first, as training would have written them; {@link #copyWeights} is that copy
     * alone).
     */
    @Benchmark
    public Object maskUpdateInPlace() {
        copyWeights();
        return inPlacePruner.updateInPlace(live, optimizerState, sparsity, inPlaceState);
    }

    @Benchmark
    public Object copyWeights() {
        version ^= 1;
        live[0].clear();
        return live[0].put(trained[version].duplicate().clear());
    }

    @Benchmark
    public Object maskUpdate() {
        return pruner.update(raw, sparsity, state, mask);
    }

    @Benchmark
    public float readWeightsOnce() {
        FloatBuffer f = raw[0].asFloatBuffer();
        float max = 0;
        for (int i = 0; i < weights; i++) {
            max = Math.max(max, Math.abs(f.get(i)));
        }
        return max;
    }

    @Benchmark
    public Object encodeSnapshotTensor() {
        return SparseTensorCodec.encode("w", new int[] {weights}, pruned);
    }

    @Benchmark
    public Object decodeSnapshotTensor() {
        return SparseTensorCodec.decode(encoded);
    }
}
