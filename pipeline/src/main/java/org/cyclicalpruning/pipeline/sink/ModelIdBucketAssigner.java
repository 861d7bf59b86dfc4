package org.cyclicalpruning.pipeline.sink;

import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.functions.sink.filesystem.BucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.SimpleVersionedStringSerializer;
import org.cyclicalpruning.schemas.SparseModelSnapshot;

/** Puts each model's snapshot files in a folder named after the model id. */
public final class ModelIdBucketAssigner implements BucketAssigner<SparseModelSnapshot, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String getBucketId(SparseModelSnapshot snapshot, Context context) {
        // ids come from the input: keep them from escaping the snapshot folder
        return snapshot.getModelId().replaceAll("[^A-Za-z0-9._-]", "_").replaceAll("^\\.+", "_");
    }

    @Override
    public SimpleVersionedSerializer<String> getSerializer() {
        return SimpleVersionedStringSerializer.INSTANCE;
    }
}
