package org.cyclicalpruning.modelops.snapshot.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.cyclicalpruning.schemas.SparseTensor;
import org.cyclicalpruning.schemas.SupportEncoding;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SparseTensorCodecTest {

    /** A tensor to round-trip: shape and values. */
    record Case(int[] shape, float[] values) {}

    static Stream<Named<Case>> cases() {
        List<Named<Case>> cases = new ArrayList<>();
        cases.add(Named.of("all zeros, n=1000", new Case(new int[] {10, 100}, new float[1000])));
        cases.add(Named.of("all zeros, n=13", new Case(new int[] {13}, new float[13])));
        cases.add(Named.of("empty, shape [0]", new Case(new int[] {0}, new float[0])));
        cases.add(Named.of("empty, shape [3, 0, 5]", new Case(new int[] {3, 0, 5}, new float[0])));
        cases.add(Named.of("scalar", new Case(new int[0], new float[] {-2.5f})));
        cases.add(Named.of("all non-zero, n=1001", new Case(new int[] {7, 11, 13}, random(1001, 1.0, 1))));
        cases.add(Named.of("single first", new Case(new int[] {77}, single(77, 0))));
        cases.add(Named.of("single last", new Case(new int[] {77}, single(77, 76))));
        cases.add(Named.of("single of one", new Case(new int[] {1}, single(1, 0))));
        cases.add(Named.of("first and last, n=3M (4-byte gap)", new Case(new int[] {3_000_000}, ends(3_000_000))));
        cases.add(Named.of("clustered block", new Case(new int[] {100_000}, block(100_000, 40_000, 1_000))));
        for (double density : new double[] {0.001, 0.01, 0.05, 0.1, 0.3, 0.5, 0.9, 0.99}) {
            for (int n : new int[] {4096, 10_007}) {
                cases.add(Named.of(
                        "random density " + density + ", n=" + n,
                        new Case(new int[] {n}, random(n, density, n + (long) (density * 1000)))));
            }
        }
        float[] special = {
            0f,
            -0.0f,
            Float.NaN,
            1f,
            -0.0f,
            Float.intBitsToFloat(0x7fc00123),
            -3e-38f,
            Float.NEGATIVE_INFINITY,
            0f,
            Float.MIN_VALUE,
            -0.0f
        };
        cases.add(Named.of("-0.0, NaN, infinities, subnormals", new Case(new int[] {special.length}, special)));
        return cases.stream();
    }

    static Stream<Arguments> casesByEncoding() {
        return cases().flatMap(c -> Arrays.stream(SupportEncoding.values()).map(e -> Arguments.of(c, e)));
    }

    @ParameterizedTest(name = "{0} as {1}")
    @MethodSource("casesByEncoding")
    void roundTripsWithEveryEncoding(Case c, SupportEncoding encoding) {
        SparseTensor t = SparseTensorCodec.encode("w", c.shape(), c.values(), encoding);
        float[] expected = normalised(c.values());
        int[] support = IntStream.range(0, expected.length)
                .filter(i -> expected[i] != 0f)
                .toArray();

        assertThat(t.getEncoding()).isEqualTo(encoding);
        assertThat(t.getNnz()).isEqualTo(support.length);
        assertThat(t.getShape())
                .containsExactly(Arrays.stream(c.shape()).boxed().toArray(Integer[]::new));
        assertBitsEqual(SparseTensorCodec.decode(t), expected);
        float[] reused = new float[expected.length];
        Arrays.fill(reused, 42f);
        SparseTensorCodec.decodeInto(t, reused);
        assertBitsEqual(reused, expected);
        assertThat(SparseTensorCodec.support(t)).containsExactly(support);
        float[] supportValues = new float[support.length];
        for (int k = 0; k < support.length; k++) {
            supportValues[k] = expected[support[k]];
        }
        assertBitsEqual(SparseTensorCodec.values(t), supportValues);
        assertThat(SparseTensorCodec.encodedBytes(t))
                .isEqualTo(t.getSupport().remaining() + t.getValues().remaining());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void supportBytesFollowTheDocumentedLayout(Case c) {
        float[] v = c.values();
        int n = v.length;
        int[] support = IntStream.range(0, n).filter(i -> v[i] != 0f).toArray();

        assertThat(bytes(SparseTensorCodec.encode("w", c.shape(), v, SupportEncoding.DENSE)))
                .isEmpty();
        assertThat(bytes(SparseTensorCodec.encode("w", c.shape(), v, SupportEncoding.BITMAP)))
                .containsExactly(Arrays.copyOf(bitSet(support).toByteArray(), (n + 7) / 8));
        assertThat(bytes(SparseTensorCodec.encode("w", c.shape(), v, SupportEncoding.DELTA_VARINT)))
                .containsExactly(referenceVarint(support));
        assertThat(bytes(SparseTensorCodec.encode("w", c.shape(), v, SupportEncoding.ELIAS_FANO)))
                .containsExactly(referenceEliasFano(n, support));
    }

    @Test
    void automaticChoiceIsTheSmallestWithTiesToTheSimplest() {
        Set<SupportEncoding> chosen = EnumSet.noneOf(SupportEncoding.class);
        cases().map(Named::getPayload).forEach(c -> {
            long[] sizes = Arrays.stream(SupportEncoding.values())
                    .mapToLong(e ->
                            SparseTensorCodec.encodedBytes(SparseTensorCodec.encode("w", c.shape(), c.values(), e)))
                    .toArray();
            long min = Arrays.stream(sizes).min().orElseThrow();
            SupportEncoding simplestSmallest = SupportEncoding.values()[
                    IntStream.range(0, sizes.length)
                            .filter(i -> sizes[i] == min)
                            .findFirst()
                            .orElseThrow()];

            SparseTensor auto = SparseTensorCodec.encode("w", c.shape(), c.values());
            assertThat(auto.getEncoding())
                    .as("sizes %s", Arrays.toString(sizes))
                    .isEqualTo(simplestSmallest);
            assertThat(SparseTensorCodec.encodedBytes(auto)).isEqualTo(min);
            chosen.add(auto.getEncoding());
        });
        // The cases are chosen so that each encoding wins somewhere.
        assertThat(chosen).containsExactlyInAnyOrder(SupportEncoding.values());
    }

    @Test
    void allZerosTieBetweenVarintAndEliasFanoGoesToVarint() {
        SparseTensor t = SparseTensorCodec.encode("w", new int[] {64}, new float[64]);
        assertThat(t.getEncoding()).isEqualTo(SupportEncoding.DELTA_VARINT);
        assertThat(SparseTensorCodec.encodedBytes(t)).isZero();
        assertThat(SparseTensorCodec.encode("w", new int[] {0}, new float[0]).getEncoding())
                .isEqualTo(SupportEncoding.DENSE);
    }

    @Test
    void elementCountMultipliesDimensions() {
        assertThat(SparseTensorCodec.elementCount(List.of())).isEqualTo(1);
        assertThat(SparseTensorCodec.elementCount(List.of(3, 4, 5))).isEqualTo(60);
        assertThat(SparseTensorCodec.elementCount(List.of(0, 1 << 30, 1 << 30))).isZero();
        assertThat(SparseTensorCodec.elementCount(List.of(1 << 14, 1 << 14))).isEqualTo(SparseTensorCodec.MAX_ELEMENTS);
    }

    // ---------------------------------------------------------------- independent reference encoders

    /** Elias-Fano straight from the class javadoc, on a BitSet (whose byte order is the documented one). */
    static byte[] referenceEliasFano(int n, int[] support) {
        int m = support.length;
        if (m == 0) {
            return new byte[0];
        }
        int l = (int) Math.floor(Math.log((double) (n / m)) / Math.log(2) + 1e-12);
        BitSet bits = new BitSet();
        for (int k = 0; k < m; k++) {
            for (int j = 0; j < l; j++) {
                bits.set(k * l + j, ((support[k] >> j) & 1) == 1);
            }
            bits.set(m * l + (support[k] >> l) + k);
        }
        long totalBits = (long) m * l + m + ((n - 1) >> l);
        return Arrays.copyOf(bits.toByteArray(), (int) ((totalBits + 7) / 8));
    }

    static byte[] referenceVarint(int[] support) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int previous = -1;
        for (int i : support) {
            long gap = i - previous - 1;
            previous = i;
            do {
                int group = (int) (gap & 0x7F);
                gap >>>= 7;
                out.write(gap != 0 ? group | 0x80 : group);
            } while (gap != 0);
        }
        return out.toByteArray();
    }

    static BitSet bitSet(int[] support) {
        BitSet bits = new BitSet();
        for (int i : support) {
            bits.set(i);
        }
        return bits;
    }

    // ---------------------------------------------------------------- helpers

    static float[] random(int n, double density, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            if (random.nextDouble() < density) {
                float x = (float) random.nextGaussian(); // about half negative
                v[i] = x != 0f ? x : 1f;
            }
        }
        return v;
    }

    private static float[] single(int n, int index) {
        float[] v = new float[n];
        v[index] = -7.25f;
        return v;
    }

    private static float[] ends(int n) {
        float[] v = new float[n];
        v[0] = 1f;
        v[n - 1] = -1f;
        return v;
    }

    private static float[] block(int n, int from, int length) {
        float[] v = new float[n];
        Arrays.fill(v, from, from + length, 0.5f);
        return v;
    }

    static float[] normalised(float[] values) {
        float[] v = values.clone();
        for (int i = 0; i < v.length; i++) {
            if (v[i] == 0f) {
                v[i] = 0f;
            }
        }
        return v;
    }

    static byte[] bytes(SparseTensor t) {
        byte[] out = new byte[t.getSupport().remaining()];
        t.getSupport().duplicate().get(out);
        return out;
    }

    /** Compares raw bits, so NaN payloads and the sign of zero count. */
    static void assertBitsEqual(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(expected[i])) {
                throw new AssertionError("entry " + i + ": expected " + expected[i] + " but was " + actual[i]);
            }
        }
    }
}
