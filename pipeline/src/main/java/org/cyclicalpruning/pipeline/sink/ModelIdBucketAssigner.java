package org.cyclicalpruning.pipeline.sink;

import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.functions.sink.filesystem.BucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.SimpleVersionedStringSerializer;
import org.cyclicalpruning.modelops.snapshot.SnapshotFolders;
import org.cyclicalpruning.schemas.SparseModelSnapshot;

/**
 * Puts each model's snapshot files in a folder of its own, named after the model id by {@link
 * SnapshotFolders}: reversibly, so that no two ids share a folder, and never outside the snapshot
 * folder, whatever the id.
 */
public final class ModelIdBucketAssigner implements BucketAssigner<SparseModelSnapshot, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String getBucketId(SparseModelSnapshot snapshot, Context context) {
        return SnapshotFolders.folderOf(snapshot.getModelId());
    }

    @Override
    public SimpleVersionedSerializer<String> getSerializer() {
        return SimpleVersionedStringSerializer.INSTANCE;
    }
}
