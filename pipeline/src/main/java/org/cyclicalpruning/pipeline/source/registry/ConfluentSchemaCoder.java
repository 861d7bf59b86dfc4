package org.cyclicalpruning.pipeline.source.registry;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.avro.Schema;
import org.apache.flink.formats.avro.SchemaCoder;
import org.cyclicalpruning.schemas.RegistryFraming;

/**
 * Flink's {@link SchemaCoder} for Confluent's wire format, which every registry serializer writes:
 * a magic byte 0, the writer schema's id as a 4-byte big-endian integer, then the Avro binary.
 * Reading resolves the id through a {@link SchemaRegistry}; writing registers the schema under a
 * subject (the topic-name strategy's {@code <topic>-value}) and writes its id.
 */
public final class ConfluentSchemaCoder implements SchemaCoder {
    private final SchemaRegistry registry;
    private final String subject;

    /**
     * Creates the coder.
     *
     * @param registry where ids are resolved and schemas registered
     * @param subject the subject schemas are written under, such as {@code <topic>-value}
     */
    public ConfluentSchemaCoder(SchemaRegistry registry, String subject) {
        this.registry = registry;
        this.subject = subject;
    }

    /**
     * Returns a coder that only reads: it resolves ids and registers nothing.
     *
     * @param registry where ids are resolved
     * @return the coder
     */
    public static ConfluentSchemaCoder forReading(SchemaRegistry registry) {
        return new ConfluentSchemaCoder(registry, null);
    }

    @Override
    public Schema readSchema(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        byte magic = data.readByte();
        if (magic != RegistryFraming.MAGIC_BYTE) {
            throw new IOException("not in Confluent's wire format: the first byte is " + magic + ", not 0");
        }
        return registry.schemaById(data.readInt());
    }

    @Override
    public void writeSchema(Schema schema, OutputStream out) throws IOException {
        if (subject == null) {
            throw new IllegalStateException("a coder for reading registers no schema");
        }
        int id = registry.register(subject, schema);
        DataOutputStream data = new DataOutputStream(out);
        data.writeByte(RegistryFraming.MAGIC_BYTE);
        data.writeInt(id);
        data.flush();
    }
}
