package org.cyclicalpruning.modelops.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.SplittableRandom;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.schemas.SnapshotReason;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.schemas.SparseTensor;
import org.junit.jupiter.api.Test;

class ModelSnapshotsTest {

    static SparseModelSnapshot snapshot(ModelSpec spec, float[][] params, int[][] shapes) {
        return SparseModelSnapshot.newBuilder()
                .setModelId("m")
                .setVersion(3)
                .setEventTime(1000)
                .setReason(SnapshotReason.CYCLE_END)
                .setCycle(2)
                .setPhase("HOLD")
                .setStep(10)
                .setSamples(100)
                .setSparsity(0.9)
                .setTargetSparsity(0.9)
                .setSpec(spec.toAvro())
                .setSchedule("constant(0.9)")
                .setLoss(0.5)
                .setAccuracy(0.75)
                .setChurn(0)
                .setRecovered(4)
                .setTensors(ModelSnapshots.encodeTensors(spec, shapes, params))
                .build();
    }

    /**
     * Readers of this version read what earlier jobs wrote: the 0.1.0 release's records, and those
     * of builds before {@code lineage} (its fields and more are missing, and read as their defaults).
     */
    @Test
    void snapshotsOfEarlierLayoutsReadWithTheirMissingFieldsAtTheirDefaults() throws Exception {
        ModelSpec spec = ModelSpec.parse("mlp:20-8-3");
        SparseModelSnapshot now = TestSnapshots.snapshot("m", 4, spec, 0.9, 4);
        now.setLineage(1_765_000_000_000L);
        assertThat(ModelSnapshots.fromBytes(ModelSnapshots.toBytes(now))).isEqualTo(now);

        Schema released;
        try (java.io.InputStream in =
                SparseModelSnapshot.class.getResourceAsStream("/released/0.1.0/SparseModelSnapshot.avsc")) {
            Schema.Parser parser = new Schema.Parser();
            for (String dependency : List.of("ModelSpec", "SparseTensor")) {
                try (java.io.InputStream d =
                        SparseModelSnapshot.class.getResourceAsStream("/released/0.1.0/" + dependency + ".avsc")) {
                    parser.parse(d);
                }
            }
            released = parser.parse(in);
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<SparseModelSnapshot>(released).write(now, encoder);
        encoder.flush();

        SparseModelSnapshot read = ModelSnapshots.fromBytes(out.toByteArray());
        assertThat(read.getLineage()).isZero();
        assertThat(read.getDrift()).isNull();
        assertThat(read.getVersion()).isEqualTo(4);
        assertThat(read.getTensors()).isEqualTo(now.getTensors());
        assertThatThrownBy(() -> ModelSnapshots.fromBytes(new byte[] {1, 2, 3}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tensorsAndRecordRoundTripThroughAvroBinary() {
        ModelSpec spec = ModelSpec.mlp(20, new int[] {8}, 3);
        int[][] shapes = {{8, 20}, {8}, {3, 8}, {3}};
        SplittableRandom random = new SplittableRandom(5);
        float[][] params = new float[4][];
        for (int p = 0; p < 4; p++) {
            params[p] = new float[shapes[p].length == 2 ? shapes[p][0] * shapes[p][1] : shapes[p][0]];
            for (int i = 0; i < params[p].length; i++) {
                params[p][i] = p % 2 == 0 && random.nextDouble() < 0.9 ? 0f : (float) random.nextGaussian();
            }
        }
        SparseModelSnapshot s = snapshot(spec, params, shapes);
        SparseModelSnapshot back = ModelSnapshots.fromBytes(ModelSnapshots.toBytes(s));
        assertThat(back).isEqualTo(s);
        assertThat(ModelSpec.fromAvro(back.getSpec())).isEqualTo(spec);
        assertThat(ModelSnapshots.decodeTensors(back)).isDeepEqualTo(params);
        assertThat(back.getTensors().get(0).getNnz()).isLessThan(params[0].length / 4);
    }

    @Test
    void garbageAndMismatchedTensorsAreRejected() {
        assertThatThrownBy(() -> ModelSnapshots.fromBytes(new byte[] {1, 2, 3}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SparseModelSnapshot");
        ModelSpec spec = ModelSpec.linear(4);
        SparseModelSnapshot s = snapshot(spec, new float[][] {{1, 0, 0, 2}, {0.5f}}, new int[][] {{1, 4}, {1}});
        List<SparseTensor> tensors = s.getTensors();
        s.setTensors(List.of(tensors.get(1), tensors.get(0)));
        assertThatThrownBy(() -> ModelSnapshots.decodeTensors(s)).hasMessageContaining("expected 'layer0.weight'");
    }

    /** A record whose first field, the model id, claims 2^31 - 1 bytes of string. */
    static byte[] gigabyteLengthClaim() {
        return new byte[] {(byte) 0xFE, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F, 'a'};
    }

    /** A well-formed snapshot, a few hundred bytes, whose spec has about 800 million parameters. */
    static byte[] hugeSpec() {
        SparseModelSnapshot s =
                snapshot(ModelSpec.linear(4), new float[][] {{1, 0, 0, 2}, {0.5f}}, new int[][] {{1, 4}, {1}});
        s.setSpec(ModelSpec.mlp(1, new int[] {268_435_456}, 2).toAvro());
        return ModelSnapshots.toBytes(s);
    }

    @Test
    void lengthClaimsAndSpecsBeyondTheRecordAreRefusedBeforeAllocating() {
        assertThatThrownBy(() -> ModelSnapshots.fromBytes(gigabyteLengthClaim()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SparseModelSnapshot");
        byte[] huge = hugeSpec();
        assertThat(huge.length).isLessThan(1000);
        SparseModelSnapshot decoded = ModelSnapshots.fromBytes(huge);
        assertThatThrownBy(() -> ModelSnapshots.checkedSpec(decoded))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(String.valueOf(ModelSnapshots.MAX_PARAMETERS));
        assertThatThrownBy(() -> ModelSnapshots.decodeTensors(decoded)).isInstanceOf(IllegalArgumentException.class);
    }
}
