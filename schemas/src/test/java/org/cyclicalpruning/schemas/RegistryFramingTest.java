package org.cyclicalpruning.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RegistryFramingTest {
    private static final TrainingBatch BATCH =
            TrainingBatchRecords.classification("m", 3, 1_000L, new float[] {1f, 2f, 3f, 4f}, 2, 2, new int[] {0, 1});

    @Test
    void aFramedValueIsTheMagicByteTheIdAndThePlainBytes() {
        byte[] plain = TrainingBatchRecords.plain(BATCH);
        byte[] framed = TrainingBatchRecords.framed(BATCH, 258);

        assertThat(RegistryFraming.isFramed(framed)).isTrue();
        assertThat(RegistryFraming.isFramed(plain)).isFalse();
        assertThat(framed).startsWith(0, 0, 0, 1, 2);
        assertThat(RegistryFraming.schemaId(framed)).isEqualTo(258);
        assertThat(RegistryFraming.avro(framed)).isEqualTo(plain);
    }

    /** As AvroProducer writes a key whose schema is "string": the length as a zigzag varint, then UTF-8. */
    @Test
    void aFramedStringIsAnAvroStringBehindTheHeader() {
        assertThat(RegistryFraming.frameString(3, "m")).containsExactly(0, 0, 0, 0, 3, 2, 'm');
        assertThat(RegistryFraming.frameString(3, "é")).containsExactly(0, 0, 0, 0, 3, 4, 0xc3, 0xa9);
    }

    @Test
    void topicValuesAreReadPlainOrFramed() {
        DeadLetter letter = deadLetter("training-batches");
        byte[] plain = AvroBinary.toBytes(letter);

        assertThat(AvroBinary.fromTopicValue(plain, DeadLetter.class)).isEqualTo(letter);
        assertThat(AvroBinary.fromTopicValue(RegistryFraming.frame(7, plain), DeadLetter.class))
                .isEqualTo(letter);
        assertThat(AvroBinary.fromTopicValue(TrainingBatchRecords.framed(BATCH, 1), TrainingBatch.class))
                .isEqualTo(BATCH);
    }

    /** Another producer's record with an empty first string starts with a byte 0, yet is plain. */
    @Test
    void aPlainValueThatStartsWithAZeroIsStillRead() {
        DeadLetter letter = deadLetter("");
        byte[] plain = AvroBinary.toBytes(letter);

        assertThat(RegistryFraming.isFramed(plain)).isTrue();
        assertThat(AvroBinary.fromTopicValue(plain, DeadLetter.class)).isEqualTo(letter);
    }

    /**
     * Why a value of the job's topics that starts with a byte 0 is framed: their records start with
     * a string, which the job never leaves empty. Reordering their fields would break that.
     */
    @ParameterizedTest
    @ValueSource(classes = {TrainingBatch.class, SparseModelSnapshot.class, DeadLetter.class})
    void everyTopicRecordStartsWithAString(Class<?> type) throws Exception {
        Schema schema = (Schema) type.getMethod("getClassSchema").invoke(null);
        assertThat(schema.getFields().get(0).schema().getType()).isEqualTo(Schema.Type.STRING);
    }

    private static DeadLetter deadLetter(String topic) {
        return DeadLetter.newBuilder()
                .setSourceTopic(topic)
                .setPartition(0)
                .setOffset(41)
                .setModelId("m")
                .setReason(DeadLetterReason.NOT_AVRO)
                .setCause(DeadLetterCause.NOT_AVRO)
                .setMessage("not Avro")
                .setRaw(ByteBuffer.wrap(new byte[] {1, 2, 3}))
                .build();
    }
}
