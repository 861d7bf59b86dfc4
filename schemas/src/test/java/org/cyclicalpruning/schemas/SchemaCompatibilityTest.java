package org.cyclicalpruning.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Guards readers in the field: every record schema must stay fully compatible (old readers read
 * new data, new readers read old data) with the newest released version under
 * {@code src/main/resources/released}.
 */
class SchemaCompatibilityTest {
    private static final Path CURRENT = Path.of("src/main/avro");
    private static final Path RELEASED = Path.of("src/main/resources/released");
    /** Files that others reference by name come first. */
    private static final List<String> PARSE_FIRST =
            List.of("ModelSpec.avsc", "SparseTensor.avsc", "TrainingBatch.avsc", "ModelDeclaration.avsc");

    static Stream<String> recordNames() {
        return parseAll(CURRENT).keySet().stream();
    }

    @ParameterizedTest
    @MethodSource("recordNames")
    void everySchemaIsFullyCompatibleWithTheNewestRelease(String name) {
        Schema current = parseAll(CURRENT).get(name);
        Schema released = parseAll(newestRelease()).get(name);
        assertThat(released)
                .as("%s has no released version under %s; copy it there when it ships", name, newestRelease())
                .isNotNull();

        assertThat(compatibility(current, released))
                .as("new readers of %s must read released data", name)
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        assertThat(compatibility(released, current))
                .as("released readers of %s must read new data", name)
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }

    @Test
    void theCheckRejectsABreakingChange() {
        Schema released = parseAll(newestRelease()).get("org.cyclicalpruning.schemas.TrainingBatch");
        String json = released.toString()
                .replace("\"name\":\"eventTime\",\"type\":\"long\"", "\"name\":\"eventTime\",\"type\":\"string\"");
        Schema changed = new Schema.Parser().parse(json);
        assertThat(json).isNotEqualTo(released.toString());
        assertThat(compatibility(changed, released)).isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
    }

    @Test
    void removingAFieldWithoutADefaultBreaksOldReaders() {
        Schema released = parseAll(newestRelease()).get("org.cyclicalpruning.schemas.DeadLetter");
        String json = released.toString().replace("{\"name\":\"offset\",\"type\":\"long\"},", "");
        Schema changed = new Schema.Parser().parse(json);
        assertThat(changed.getField("offset")).isNull();
        assertThat(compatibility(released, changed)).isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
    }

    @Test
    void generatedClassesMatchTheSchemaFiles() {
        Map<String, Schema> current = parseAll(CURRENT);
        for (Schema generated : List.of(
                TrainingBatch.getClassSchema(),
                SparseModelSnapshot.getClassSchema(),
                DeadLetter.getClassSchema(),
                ModelDeclaration.getClassSchema(),
                ModelState.getClassSchema())) {
            assertThat(SchemaNormalization.toParsingForm(generated))
                    .isEqualTo(SchemaNormalization.toParsingForm(current.get(generated.getFullName())));
        }
    }

    private static SchemaCompatibilityType compatibility(Schema reader, Schema writer) {
        return SchemaCompatibility.checkReaderWriterCompatibility(reader, writer)
                .getType();
    }

    private static Path newestRelease() {
        try (Stream<Path> versions = Files.list(RELEASED)) {
            return versions.filter(Files::isDirectory)
                    .max(Comparator.comparing(p -> versionKey(p.getFileName().toString())))
                    .orElseThrow(() -> new IllegalStateException("no released schemas under " + RELEASED));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String versionKey(String version) {
        StringBuilder key = new StringBuilder();
        for (String part : version.split("\\.")) {
            key.append(String.format("%08d", Integer.parseInt(part)));
        }
        return key.toString();
    }

    /** Parses every .avsc in {@code dir} with one parser and returns the top-level records by full name. */
    private static Map<String, Schema> parseAll(Path dir) {
        Schema.Parser parser = new Schema.Parser();
        Map<String, Schema> records = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> avsc = files.filter(p -> p.toString().endsWith(".avsc"))
                    .sorted(Comparator.comparing((Path p) -> {
                                int i = PARSE_FIRST.indexOf(p.getFileName().toString());
                                return i < 0 ? PARSE_FIRST.size() : i;
                            })
                            .thenComparing(Path::toString))
                    .toList();
            for (Path file : avsc) {
                Schema schema = parser.parse(file.toFile());
                records.put(schema.getFullName(), schema);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return records;
    }
}
