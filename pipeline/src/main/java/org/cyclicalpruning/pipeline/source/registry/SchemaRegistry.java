package org.cyclicalpruning.pipeline.source.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.avro.Schema;

/**
 * A client of a schema registry's REST API as Confluent defined it and Apicurio, Karapace and
 * Redpanda serve it: a writer schema by id ({@code GET /schemas/ids/{id}}), cached for good (an
 * id's schema never changes), and registration under a subject ({@code POST
 * /subjects/{subject}/versions}).
 *
 * <p>A registry that does not answer is retried, with growing pauses, for up to {@code maxWait}
 * per schema; then the call fails with {@link UnavailableException}. An id the registry does not
 * know fails at once with {@link UnknownSchemaException}, and is remembered (up to 1,024 of them),
 * so that a flood of records with made-up ids does not become a flood of requests.
 *
 * <p>Settings (the job's {@code schema-registry.properties}): {@code basic.auth.user.info}
 * ({@code user:password}, sent as HTTP basic authentication), {@code ssl.truststore.location},
 * {@code ssl.truststore.password} and {@code ssl.truststore.type} (for a registry behind TLS
 * whose certificate the JVM's default trust store does not hold). Credentials are never logged or
 * put in messages.
 */
public final class SchemaRegistry {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_UNKNOWN_IDS = 1024;

    /** The registry does not know a schema id. */
    public static final class UnknownSchemaException extends IOException {
        private static final long serialVersionUID = 1L;

        UnknownSchemaException(String message) {
            super(message);
        }
    }

    /** The registry did not answer, or answered with an error, for longer than the wait allowed. */
    public static final class UnavailableException extends IOException {
        private static final long serialVersionUID = 1L;

        UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Where the registry is and how to reach it; what a job's operators carry, the client itself
     * being made where it runs.
     *
     * @param url the registry's base URL, such as {@code http://registry:8081}
     * @param properties authentication and TLS settings (see the class comment)
     * @param maxWait how long one schema may be retried while the registry does not answer
     */
    public record Settings(String url, Map<String, String> properties, Duration maxWait) implements Serializable {
        /** Returns the settings, their URL checked. */
        public Settings {
            URI uri = URI.create(url);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new IllegalArgumentException("schema-registry.url must be an http or https URL, got " + url);
            }
            properties = Collections.unmodifiableMap(new LinkedHashMap<>(properties));
        }
    }

    private final URI base;
    private final Optional<String> authorization;
    private final Duration maxWait;
    private final HttpClient http;
    private final Map<Integer, Schema> byId = new ConcurrentHashMap<>();
    private final Map<Integer, Boolean> unknown = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, Boolean> eldest) {
            return size() > MAX_UNKNOWN_IDS;
        }
    });

    /**
     * Creates a client.
     *
     * @param settings where the registry is and how to reach it
     * @return the client
     * @throws IllegalArgumentException if the trust store cannot be read
     */
    public static SchemaRegistry of(Settings settings) {
        return new SchemaRegistry(settings);
    }

    private SchemaRegistry(Settings settings) {
        String url = settings.url();
        this.base = URI.create(url.endsWith("/") ? url : url + "/");
        this.maxWait = settings.maxWait();
        this.authorization = Optional.ofNullable(settings.properties().get("basic.auth.user.info"))
                .map(userInfo ->
                        "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8)));
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        String trustStore = settings.properties().get("ssl.truststore.location");
        if (trustStore != null) {
            builder.sslContext(sslContext(
                    Path.of(trustStore),
                    settings.properties().getOrDefault("ssl.truststore.password", ""),
                    settings.properties().getOrDefault("ssl.truststore.type", KeyStore.getDefaultType())));
        }
        this.http = builder.build();
    }

    /**
     * Returns the schema registered under an id.
     *
     * @param id the id, as a framed record carries it
     * @return the schema
     * @throws UnknownSchemaException if the registry does not know the id
     * @throws UnavailableException if the registry did not answer within the wait allowed
     * @throws IOException if the registry's answer is not a schema
     */
    public Schema schemaById(int id) throws IOException {
        Schema cached = byId.get(id);
        if (cached != null) {
            return cached;
        }
        if (unknown.containsKey(id)) {
            throw new UnknownSchemaException("the schema registry knows no schema id " + id);
        }
        HttpResponse<String> response = send(
                HttpRequest.newBuilder(base.resolve("schemas/ids/" + id)).GET().build());
        if (response.statusCode() == 404) {
            unknown.put(id, Boolean.TRUE);
            throw new UnknownSchemaException("the schema registry knows no schema id " + id);
        }
        JsonNode body = JSON.readTree(response.body());
        String type = body.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new IOException("schema id " + id + " is a " + type + " schema, not Avro");
        }
        Schema schema = new Schema.Parser().parse(body.path("schema").asText());
        byId.put(id, schema);
        return schema;
    }

    /**
     * Registers a schema under a subject (or finds it registered) and returns its id.
     *
     * @param subject the subject, such as {@code <topic>-value}
     * @param schema the schema
     * @return its id
     * @throws UnavailableException if the registry did not answer within the wait allowed
     * @throws IOException if the registry refused it
     */
    public int register(String subject, Schema schema) throws IOException {
        String body = JSON.writeValueAsString(Map.of("schema", schema.toString()));
        HttpResponse<String> response = send(HttpRequest.newBuilder(base.resolve("subjects/" + subject + "/versions"))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build());
        if (response.statusCode() / 100 != 2) {
            throw new IOException("the schema registry refused a schema for " + subject + " (HTTP "
                    + response.statusCode() + "): " + response.body());
        }
        int id = JSON.readTree(response.body()).path("id").asInt(-1);
        byId.putIfAbsent(id, schema);
        return id;
    }

    /** Sends a request, retrying while the registry is unreachable or failing (5xx), within maxWait. */
    private HttpResponse<String> send(HttpRequest request) throws IOException {
        HttpRequest authorized = authorization
                .map(a -> HttpRequest.newBuilder(request, (k, v) -> true)
                        .header("Authorization", a)
                        .build())
                .orElse(request);
        long deadline = System.nanoTime() + maxWait.toNanos();
        long pauseMillis = 100;
        IOException last = null;
        while (true) {
            try {
                HttpResponse<String> response = http.send(authorized, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() < 500) {
                    return response;
                }
                last = new IOException("HTTP " + response.statusCode());
            } catch (IOException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UnavailableException("interrupted while waiting for the schema registry at " + base, e);
            }
            if (System.nanoTime() + pauseMillis * 1_000_000 > deadline) {
                throw new UnavailableException(
                        "the schema registry at " + base + " did not answer within " + maxWait + ": " + last, last);
            }
            try {
                Thread.sleep(pauseMillis); // back-off between attempts; the deadline bounds them all
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UnavailableException("interrupted while waiting for the schema registry at " + base, e);
            }
            pauseMillis = Math.min(2_000, pauseMillis * 2);
        }
    }

    private static SSLContext sslContext(Path trustStore, String password, String type) {
        try (InputStream in = Files.newInputStream(trustStore)) {
            KeyStore store = KeyStore.getInstance(type);
            store.load(in, password.toCharArray());
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "schema-registry.properties: cannot read the trust store " + trustStore + ": " + e.getMessage(), e);
        }
    }
}
