package org.cyclicalpruning.modelops.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SnapshotFoldersTest {

    @Test
    void plainIdsAreTheirOwnFolder() {
        assertThat(SnapshotFolders.folderOf("fashion-lenet_v2.1")).isEqualTo("fashion-lenet_v2.1");
    }

    @Test
    void idsThatTheOldSanitiserMergedGetFoldersOfTheirOwn() {
        assertThat(SnapshotFolders.folderOf("a/b")).isEqualTo("a%2Fb");
        assertThat(SnapshotFolders.folderOf("a_b")).isEqualTo("a_b");
        assertThat(SnapshotFolders.folderOf("a%2Fb")).isEqualTo("a%252Fb");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"..", ".", ".hidden", "../../../../tmp/pwned", "/etc/passwd", "a/../../b", "~root", "C:\\x"})
    void noIdLeavesTheSnapshotFolderOrHides(String id) {
        String folder = SnapshotFolders.folderOf(id);
        Path base = Path.of("/snapshots");
        Path resolved = base.resolve(folder).normalize();
        assertThat(resolved.startsWith(base)).isTrue();
        assertThat(resolved).isNotEqualTo(base);
        for (String segment : folder.split("/")) {
            assertThat(segment).doesNotStartWith(".").isNotEmpty();
        }
        assertThat(SnapshotFolders.modelIdOf(folder)).contains(id);
    }

    @Test
    void longIdsAreSplitIntoFolderNamesThatFileSystemsAccept() {
        String id = "é".repeat(256); // 512 bytes of UTF-8, every byte escaped
        String folder = SnapshotFolders.folderOf(id);
        List<String> segments = List.of(folder.split("/"));
        assertThat(segments).hasSizeGreaterThan(1);
        for (String segment : segments) {
            assertThat(segment.length()).isLessThanOrEqualTo(SnapshotFolders.MAX_SEGMENT);
        }
        assertThat(segments.subList(0, segments.size() - 1)).allMatch(s -> s.endsWith("+"));
        assertThat(segments.get(segments.size() - 1)).doesNotEndWith("+");
        assertThat(SnapshotFolders.modelIdOf(folder)).contains(id);
    }

    @Test
    void theEncodingIsReversibleAndInjectiveOnRandomIds() {
        SplittableRandom random = new SplittableRandom(7);
        Set<String> folders = new HashSet<>();
        Set<String> ids = new HashSet<>();
        String alphabet = "aA0-_.%+/\\ é漢\u0000~";
        for (int n = 0; n < 5000; n++) {
            int length = 1 + random.nextInt(n % 10 == 0 ? 400 : 6);
            StringBuilder id = new StringBuilder();
            for (int i = 0; i < length; i++) {
                id.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String folder = SnapshotFolders.folderOf(id.toString());
            assertThat(SnapshotFolders.modelIdOf(folder)).contains(id.toString());
            if (ids.add(id.toString())) {
                assertThat(folders.add(folder)).as("folder of %s is taken", id).isTrue();
            }
        }
    }

    @Test
    void aShortIdsFolderIsNeverALongIdsParent() {
        String longId = "x".repeat(500);
        String parent = SnapshotFolders.folderOf(longId).split("/")[0];
        assertThat(SnapshotFolders.modelIdOf(parent)).isEmpty();
        assertThat(SnapshotFolders.folderOf(parent.substring(0, parent.length() - 1)))
                .isNotEqualTo(parent);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a%2", "a%zz", "a+", "%C3", "a/b", "", "a%2fb"})
    void foldersNoIdMapsToAreNoModelsFolder(String folder) {
        assertThat(SnapshotFolders.modelIdOf(folder)).isEmpty();
    }

    @Test
    void anEmptyIdHasNoFolder() {
        assertThatThrownBy(() -> SnapshotFolders.folderOf("")).isInstanceOf(IllegalArgumentException.class);
    }
}
