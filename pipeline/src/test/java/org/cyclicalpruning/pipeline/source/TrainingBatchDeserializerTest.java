package org.cyclicalpruning.pipeline.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.cyclicalpruning.pipeline.JobFixtures;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.schemas.DeadLetterCause;
import org.cyclicalpruning.schemas.RegistryFraming;
import org.cyclicalpruning.schemas.TrainingBatch;
import org.junit.jupiter.api.Test;

class TrainingBatchDeserializerTest {
    private static final long NOW = 1_750_000_000_000L;

    private static Received deserialize(byte[] value, int maxRecordBytes) {
        return deserialize(value, maxRecordBytes, (byte[]) null, -1);
    }

    private static Received deserialize(byte[] value, int maxRecordBytes, String key, long timestamp) {
        return deserialize(value, maxRecordBytes, key == null ? null : key.getBytes(StandardCharsets.UTF_8), timestamp);
    }

    private static Received deserialize(byte[] value, int maxRecordBytes, byte[] key, long timestamp) {
        JobConfig config = JobConfig.builder()
                .set(JobOptions.MAX_RECORD_BYTES, maxRecordBytes)
                .models(List.of(JobFixtures.model("m", "softmax:2x2", "constant(0.5)", "global", true, 0.1)))
                .build();
        List<Received> out = new ArrayList<>();
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>(
                "t",
                1,
                42L,
                timestamp,
                TimestampType.CREATE_TIME,
                -1,
                -1,
                key,
                value,
                new RecordHeaders(),
                Optional.empty());
        new TrainingBatchDeserializer(config.limits(), config.models()).deserialize(record, new Collector<>() {
            @Override
            public void collect(Received r) {
                out.add(r);
            }

            @Override
            public void close() {}
        });
        assertThat(out).hasSize(1);
        return out.get(0);
    }

    /** A record that starts like a TrainingBatch and then claims a 2 GB features field. */
    private static byte[] claimingTwoGigabytes() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder e = EncoderFactory.get().binaryEncoder(bytes, null);
        e.writeString("m");
        e.writeLong(0);
        e.writeLong(1000);
        e.writeInt(1 << 20);
        e.writeInt(1 << 9);
        e.writeIndex(0); // features: bytes
        e.writeLong(Integer.MAX_VALUE - 16L); // its length, with no bytes behind it
        e.flush();
        return bytes.toByteArray();
    }

    @Test
    void aRecordClaimingAHugeFieldAllocatesNothingLarge() throws Exception {
        byte[] hostile = claimingTwoGigabytes();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        deserialize(hostile, 1 << 20); // warm up class loading
        long before = threads.getCurrentThreadAllocatedBytes();
        Received r = deserialize(hostile, 1 << 20);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(r.failure).isEqualTo(DeadLetterCause.NOT_AVRO);
        assertThat(r.raw).isEqualTo(hostile);
        assertThat(allocated).as("bytes allocated to reject it").isLessThan(1 << 20);
    }

    @Test
    void goodRecordsDecodeAndTrailingOrOversizedOnesDoNot() {
        TrainingBatch b = TrainingBatch.newBuilder()
                .setModelId("m")
                .setSequence(3)
                .setEventTime(7)
                .setRows(1)
                .setDim(2)
                .setFeatures(ByteBuffer.wrap(new byte[8]))
                .setLabels(List.of(1))
                .build();
        byte[] bytes = TrainingBatches.toBytes(b);
        assertThat(deserialize(bytes, 1 << 20).batch.toRecord()).isEqualTo(b);
        byte[] trailing = java.util.Arrays.copyOf(bytes, bytes.length + 3);
        assertThat(deserialize(trailing, 1 << 20).failure).isEqualTo(DeadLetterCause.NOT_AVRO);
        Received tooBig = deserialize(bytes, bytes.length - 1);
        assertThat(tooBig.failure).isEqualTo(DeadLetterCause.BATCH_TOO_LARGE);
        assertThat(tooBig.message).contains("max-record-bytes");
        assertThat(tooBig.raw)
                .as("a bounded prefix, so the dead letter fits its topic")
                .hasSize(bytes.length - 1);
    }

    @Test
    void recordsOfTheReleasedSchemaStillDecode() throws Exception {
        org.apache.avro.Schema released = TrainingBatchDeserializer.releasedSchema("0.1.0");
        assertThat(released.getField("uint8Divisor"))
                .as("0.1.0 predates uint8 features")
                .isNull();
        org.apache.avro.generic.GenericRecord old = new org.apache.avro.generic.GenericData.Record(released);
        old.put("modelId", "m");
        old.put("sequence", 3L);
        old.put("eventTime", 7L);
        old.put("rows", 1);
        old.put("dim", 2);
        old.put("features", ByteBuffer.wrap(new byte[8]));
        old.put("labels", List.of(1));
        old.put("targets", null);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder e = EncoderFactory.get().binaryEncoder(bytes, null);
        new org.apache.avro.generic.GenericDatumWriter<org.apache.avro.generic.GenericRecord>(released).write(old, e);
        e.flush();

        Received r = deserialize(bytes.toByteArray(), 1 << 20);

        assertThat(r.failure).isNull();
        assertThat(r.batch.modelId).isEqualTo("m");
        assertThat(r.batch.sequence).isEqualTo(3);
        assertThat(r.batch.labels).containsExactly(1);
        assertThat(r.batch.uint8Divisor).isZero();
    }

    @Test
    void uint8RecordsDecodeWithTheirDivisor() {
        TrainingBatch b = TrainingBatch.newBuilder()
                .setModelId("m")
                .setSequence(3)
                .setEventTime(7)
                .setRows(2)
                .setDim(2)
                .setFeatures(ByteBuffer.wrap(new byte[] {0, 1, (byte) 200, (byte) 255}))
                .setLabels(List.of(1, 0))
                .setUint8Divisor(255f)
                .build();
        Received r = deserialize(TrainingBatches.toBytes(b), 1 << 20);
        assertThat(r.batch.toRecord()).isEqualTo(b);
    }

    private static TrainingBatch batch(long eventTime) {
        return TrainingBatch.newBuilder()
                .setModelId("m")
                .setSequence(1)
                .setEventTime(eventTime)
                .setRows(1)
                .setDim(2)
                .setFeatures(ByteBuffer.wrap(new byte[8]))
                .setLabels(List.of(1))
                .build();
    }

    @Test
    void aBatchKeyedByAnotherIdIsRejectedOneWithoutAKeyIsNot() {
        byte[] bytes = TrainingBatches.toBytes(batch(NOW));
        assertThat(deserialize(bytes, 1 << 20, "m", NOW).failure).isNull();
        assertThat(deserialize(bytes, 1 << 20, (byte[]) null, NOW).failure).isNull();
        Received r = deserialize(bytes, 1 << 20, "other", NOW);
        assertThat(r.failure).isEqualTo(DeadLetterCause.KEY_MISMATCH);
        assertThat(r.modelId).isEqualTo("m");
        assertThat(r.eventTime()).as("a rejected record moves no watermark").isEqualTo(Long.MIN_VALUE);
    }

    /** AvroProducer and KafkaAvroSerializer frame a string key as an Avro string behind a schema id. */
    @Test
    void aKeyFramedForASchemaRegistryNamesItsModel() {
        byte[] bytes = TrainingBatches.toBytes(batch(NOW));
        assertThat(deserialize(bytes, 1 << 20, RegistryFraming.frame(2, new byte[] {2, 'm'}), NOW).failure)
                .isNull();
        assertThat(deserialize(bytes, 1 << 20, RegistryFraming.frame(2, new byte[] {2, 'x'}), NOW).failure)
                .isEqualTo(DeadLetterCause.KEY_MISMATCH);
        assertThat(deserialize(bytes, 1 << 20, RegistryFraming.frame(2, new byte[] {4, 'm', 'm'}), NOW).failure)
                .isEqualTo(DeadLetterCause.KEY_MISMATCH);
        assertThat(deserialize(bytes, 1 << 20, new byte[] {0, 0, 0, 0, 2}, NOW).failure)
                .as("a header with nothing after it")
                .isEqualTo(DeadLetterCause.KEY_MISMATCH);
    }

    @Test
    void eventTimesAreCheckedAgainstTheRecordsKafkaTimestamp() {
        long hour = 3_600_000L;
        assertThat(deserialize(TrainingBatches.toBytes(batch(NOW + hour)), 1 << 20, "m", NOW).failure)
                .as("exactly the default skew ahead")
                .isNull();
        assertThat(deserialize(TrainingBatches.toBytes(batch(NOW - 365 * 24 * hour)), 1 << 20, "m", NOW).failure)
                .as("history is fine")
                .isNull();
        for (long bad : new long[] {NOW + hour + 1, NOW * 1000, Long.MAX_VALUE, -1, Long.MIN_VALUE}) {
            Received r = deserialize(TrainingBatches.toBytes(batch(bad)), 1 << 20, "m", NOW);
            assertThat(r.failure).as("event time %s", bad).isEqualTo(DeadLetterCause.EVENT_TIME_OUT_OF_RANGE);
            assertThat(r.message).contains("event time");
        }
        assertThat(deserialize(TrainingBatches.toBytes(batch(NOW * 1000)), 1 << 20, "m", -1).failure)
                .as("without a Kafka timestamp only negative times are refused")
                .isNull();
    }
}
