package org.cyclicalpruning.serving;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the compacted snapshot topic and keeps the latest version of every model, ready to
 * serve.
 *
 * <p>A daemon thread reads every partition from the beginning with {@code
 * isolation.level=read_committed} (the job writes snapshots in transactions; uncommitted or
 * aborted ones must never be served) and no consumer group: every follower wants the whole topic,
 * so none shares partitions with another. Each snapshot newer than the model's current one (by
 * lineage, then version: {@link ModelSnapshots#SERVING_ORDER}) is checked and compiled into a
 * {@link ServingModel}, then swapped in with one map write, so a reader calling {@link #latest}
 * gets either the old or the new version, complete. An older or equal one arriving later (a replay,
 * a reader that started before compaction, a late record of a previous deployment) is ignored. A
 * deployment without state starts a newer lineage: its version 1 replaces the previous
 * deployment's last version, and the switch is logged at INFO.
 *
 * <p>Records that are not valid snapshots are skipped with a warning naming their partition and
 * offset; nothing on the topic stops the thread. Extra Kafka properties (security settings) are
 * passed to the consumer and never logged. Models are never removed: a tombstone (null value) is
 * skipped like any other record that holds no snapshot.
 */
public final class SnapshotFollower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotFollower.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(5);
    /** How often to look for partitions added to the topic, and to retry while it does not exist. */
    private static final long PARTITION_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(30);

    private static final long RETRY_MILLIS = 1000;

    /** Told about every swap, on the follower's thread; keep it short. */
    @FunctionalInterface
    public interface SwapListener {
        /**
         * Called after {@code current} has replaced {@code previous} as the model's latest version.
         *
         * @param previous the version served until now, or null for a model's first version
         * @param current the version served from now on
         */
        void swapped(ServingModel previous, ServingModel current);
    }

    private final String topic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final SwapListener listener;
    private final Map<String, ServingModel> models = new ConcurrentHashMap<>();
    private final Object swapped = new Object();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final AtomicLong skipped = new AtomicLong();
    private final Thread thread;
    private final Set<TopicPartition> assigned = new HashSet<>();
    private long nextPartitionRefresh;

    private SnapshotFollower(String topic, KafkaConsumer<byte[], byte[]> consumer, SwapListener listener) {
        this.topic = topic;
        this.consumer = consumer;
        this.listener = listener;
        this.thread = new Thread(this::run, "snapshot-follower-" + topic);
        thread.setDaemon(true);
    }

    /**
     * Starts following a snapshot topic.
     *
     * @param bootstrapServers Kafka brokers
     * @param topic the snapshot topic
     * @param extraKafkaProperties further consumer properties, e.g. {@code security.protocol},
     *     {@code sasl.jaas.config}; may be empty. The deserializers, {@code isolation.level} and
     *     offset handling are the follower's and override these.
     * @return the running follower; close it to stop
     */
    public static SnapshotFollower start(
            String bootstrapServers, String topic, Map<String, String> extraKafkaProperties) {
        return start(bootstrapServers, topic, extraKafkaProperties, (previous, current) -> {});
    }

    /**
     * Starts following a snapshot topic and reports every swap to {@code listener}, e.g. to load a
     * {@link SnapshotPredictor} for the new version and close the previous one.
     *
     * @param bootstrapServers Kafka brokers
     * @param topic the snapshot topic
     * @param extraKafkaProperties further consumer properties, as for {@link #start(String, String, Map)}
     * @param listener called on the follower's thread after each swap; its exceptions are logged
     * @return the running follower; close it to stop
     */
    public static SnapshotFollower start(
            String bootstrapServers, String topic, Map<String, String> extraKafkaProperties, SwapListener listener) {
        checkArgument(bootstrapServers != null && !bootstrapServers.isBlank(), "bootstrap servers must be set");
        checkArgument(topic != null && !topic.isBlank(), "snapshot topic must be set");
        checkArgument(listener != null, "listener must not be null");
        Properties p = new Properties();
        p.putAll(extraKafkaProperties);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "snapshot-follower-" + topic);
        SnapshotFollower follower = new SnapshotFollower(topic, new KafkaConsumer<>(p), listener);
        LOG.info("following snapshot topic {} on {}", topic, bootstrapServers);
        follower.thread.start();
        return follower;
    }

    /**
     * Returns the latest version of a model seen so far.
     *
     * @param modelId the model id
     * @return the model, or empty if no valid snapshot of it has been read yet
     */
    public Optional<ServingModel> latest(String modelId) {
        return Optional.ofNullable(models.get(modelId));
    }

    /** Returns the ids of every model with a version, at the time of the call. */
    public Set<String> modelIds() {
        return Set.copyOf(models.keySet());
    }

    /**
     * Waits until a model's latest version is at least {@code version}, in any lineage.
     *
     * @param modelId the model id
     * @param version the version to wait for
     * @param timeout how long to wait at most
     * @return the model's latest version once it is {@code >= version}, or empty on timeout
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public Optional<ServingModel> awaitVersion(String modelId, long version, Duration timeout)
            throws InterruptedException {
        return await(modelId, m -> m.version() >= version, timeout);
    }

    /**
     * Waits until a model's latest version meets a condition, such as a lineage of its own.
     *
     * @param modelId the model id
     * @param condition what the served version must meet
     * @param timeout how long to wait at most
     * @return the model's latest version once it meets {@code condition}, or empty on timeout
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public Optional<ServingModel> await(String modelId, Predicate<ServingModel> condition, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (swapped) {
            while (true) {
                ServingModel m = models.get(modelId);
                if (m != null && condition.test(m)) {
                    return Optional.of(m);
                }
                long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (remaining <= 0 || !thread.isAlive()) {
                    return Optional.empty();
                }
                swapped.wait(remaining);
            }
        }
    }

    /** Returns how many records were skipped because they held no valid snapshot. */
    public long skippedRecords() {
        return skipped.get();
    }

    /** Returns whether the follower's thread is still reading. */
    public boolean isRunning() {
        return thread.isAlive();
    }

    /** Stops the thread and closes the consumer; the models read so far stay readable. Idempotent. */
    @Override
    public void close() throws InterruptedException {
        if (closing.getCount() > 0) {
            closing.countDown();
            consumer.wakeup(); // the only consumer method that is safe from another thread
        }
        thread.join(TimeUnit.SECONDS.toMillis(30));
    }

    private void run() {
        try {
            while (closing.getCount() > 0) {
                try {
                    refreshPartitions();
                    if (assigned.isEmpty()) {
                        closing.await(RETRY_MILLIS, TimeUnit.MILLISECONDS); // the topic does not exist yet
                        continue;
                    }
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                        accept(record);
                    }
                } catch (WakeupException | InterruptException e) {
                    break;
                } catch (RuntimeException e) {
                    // a broker that is away or refuses us: Kafka's message, never our properties
                    LOG.warn("reading snapshot topic {} failed, retrying: {}", topic, e.toString());
                    closing.await(RETRY_MILLIS, TimeUnit.MILLISECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            LOG.error("snapshot follower of {} stopped", topic, t);
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            synchronized (swapped) {
                swapped.notifyAll(); // waiters stop waiting for a thread that is gone
            }
        }
    }

    private void refreshPartitions() {
        if (!assigned.isEmpty() && System.nanoTime() < nextPartitionRefresh) {
            return;
        }
        nextPartitionRefresh = System.nanoTime() + PARTITION_REFRESH_NANOS;
        List<PartitionInfo> infos = consumer.partitionsFor(topic, METADATA_TIMEOUT);
        List<TopicPartition> added = new ArrayList<>();
        for (PartitionInfo info : infos == null ? List.<PartitionInfo>of() : infos) {
            TopicPartition tp = new TopicPartition(topic, info.partition());
            if (assigned.add(tp)) {
                added.add(tp);
            }
        }
        if (!added.isEmpty()) {
            consumer.assign(assigned); // partitions assigned before keep their positions
            consumer.seekToBeginning(added);
            LOG.info("reading {} partition(s) of {} from the beginning", added.size(), topic);
        }
    }

    private void accept(ConsumerRecord<byte[], byte[]> record) {
        try {
            if (record.value() == null) {
                skip(record, "a tombstone (null value) holds no snapshot");
                return;
            }
            SparseModelSnapshot snapshot = ModelSnapshots.fromBytes(record.value());
            String id = snapshot.getModelId();
            ServingModel previous = models.get(id);
            if (previous != null && ModelSnapshots.SERVING_ORDER.compare(snapshot, previous.snapshot()) <= 0) {
                LOG.debug(
                        "ignoring {} v{} of lineage {}: v{} of lineage {} is newer",
                        id,
                        snapshot.getVersion(),
                        snapshot.getLineage(),
                        previous.version(),
                        previous.lineage());
                return;
            }
            // built before the swap, so readers never see a model that is half-built
            ServingModel current = ServingModel.of(snapshot);
            models.put(id, current); // this thread is the only writer: get-then-put cannot race
            synchronized (swapped) {
                swapped.notifyAll();
            }
            if (previous != null && previous.lineage() != current.lineage()) {
                LOG.info(
                        "model {}: a new deployment's lineage {} replaces lineage {} (was v{}); its versions count"
                                + " from 1 again",
                        id,
                        current.lineage(),
                        previous.lineage(),
                        previous.version());
            }
            LOG.info("serving {} (was {})", current, previous == null ? "none" : "v" + previous.version());
            try {
                listener.swapped(previous, current);
            } catch (RuntimeException e) {
                LOG.warn("swap listener failed for {}", current, e);
            }
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            // whatever a record holds, the follower goes on with the next one: decoding bounds every
            // allocation by the record's size and ModelSnapshots.MAX_PARAMETERS, so an error here is
            // the record's, not the JVM's
            skip(record, e.toString());
        }
    }

    private void skip(ConsumerRecord<byte[], byte[]> record, String why) {
        skipped.incrementAndGet();
        LOG.warn("skipping record {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), why);
    }
}
