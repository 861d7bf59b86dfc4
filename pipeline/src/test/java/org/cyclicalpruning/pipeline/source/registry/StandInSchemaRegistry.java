package org.cyclicalpruning.pipeline.source.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A STAND-IN for a schema registry, in the test sources only: no registry server installs on the
 * machines this project is built on (Confluent's is not on Maven Central, Apicurio's application
 * does not run from it, Karapace and Redpanda are not in Debian). It serves the three endpoints of
 * Confluent's REST API that producers, consumers and the job call, with the documented bodies and
 * error codes: register a schema under a subject ({@code POST /subjects/{subject}/versions}, the
 * same schema getting the same id), a schema by id ({@code GET /schemas/ids/{id}}, 404 with
 * error_code 40403 when unknown) and a subject's latest version ({@code GET
 * /subjects/{subject}/versions/latest}). It can be stopped and started again on the same port, an
 * outage, keeping what was registered. Everything around it in the tests is real.
 */
public final class StandInSchemaRegistry implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern REGISTER = Pattern.compile("/subjects/([^/]+)/versions");
    private static final Pattern BY_ID = Pattern.compile("/schemas/ids/(\\d+)");
    private static final Pattern LATEST = Pattern.compile("/subjects/([^/]+)/versions/latest");

    private final Map<String, Integer> idBySchema = new LinkedHashMap<>();
    private final Map<Integer, String> schemaById = new LinkedHashMap<>();
    private final Map<String, List<Integer>> versionsBySubject = new LinkedHashMap<>();
    private final Map<Integer, Integer> lookupsById = new LinkedHashMap<>();
    private HttpServer server;
    private int requests;

    private StandInSchemaRegistry() {}

    /** Starts the stand-in on a free port of the loopback interface. */
    public static StandInSchemaRegistry start() throws IOException {
        StandInSchemaRegistry registry = new StandInSchemaRegistry();
        registry.serve(0);
        return registry;
    }

    /** Returns the registry's base URL. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Stops answering: connections are refused until {@link #resume()}. */
    public synchronized void stop() {
        server.stop(0);
    }

    /** Answers again, on the same port, with everything registered before. */
    public synchronized void resume() throws IOException {
        serve(server.getAddress().getPort());
    }

    /** Registers a schema as a producer would, returning its id. */
    public synchronized int register(String subject, String schema) {
        int id = idBySchema.computeIfAbsent(schema, s -> {
            int next = schemaById.size() + 1;
            schemaById.put(next, s);
            return next;
        });
        List<Integer> versions = versionsBySubject.computeIfAbsent(subject, k -> new ArrayList<>());
        if (!versions.contains(id)) {
            versions.add(id);
        }
        return id;
    }

    /** Returns the ids registered under a subject, oldest first (none if it has none). */
    public synchronized List<Integer> ids(String subject) {
        return List.copyOf(versionsBySubject.getOrDefault(subject, List.of()));
    }

    /** Returns how many times a reader asked for a schema by this id. */
    public synchronized int lookups(int id) {
        return lookupsById.getOrDefault(id, 0);
    }

    /** Returns how many requests it has answered, for tests that check the job caches. */
    public synchronized int requests() {
        return requests;
    }

    private void serve(int onPort) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", onPort), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        synchronized (this) {
            requests++;
        }
        Matcher m;
        if (method.equals("POST") && (m = REGISTER.matcher(path)).matches()) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String schema = JSON.readTree(body).path("schema").asText();
            answer(exchange, 200, Map.of("id", register(m.group(1), schema)));
        } else if (method.equals("GET") && (m = BY_ID.matcher(path)).matches()) {
            String schema;
            synchronized (this) {
                int id = Integer.parseInt(m.group(1));
                lookupsById.merge(id, 1, Integer::sum);
                schema = schemaById.get(id);
            }
            if (schema == null) {
                answer(exchange, 404, Map.of("error_code", 40403, "message", "Schema " + m.group(1) + " not found"));
            } else {
                answer(exchange, 200, Map.of("schema", schema));
            }
        } else if (method.equals("GET") && (m = LATEST.matcher(path)).matches()) {
            List<Integer> versions;
            synchronized (this) {
                versions = versionsBySubject.get(m.group(1));
            }
            if (versions == null) {
                answer(exchange, 404, Map.of("error_code", 40401, "message", "Subject not found"));
            } else {
                int id = versions.get(versions.size() - 1);
                answer(
                        exchange,
                        200,
                        Map.of(
                                "subject",
                                m.group(1),
                                "version",
                                versions.size(),
                                "id",
                                id,
                                "schema",
                                schemaById.get(id)));
            }
        } else {
            answer(exchange, 404, Map.of("error_code", 404, "message", "not served by the stand-in: " + path));
        }
    }

    private static void answer(HttpExchange exchange, int status, Map<String, Object> body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public synchronized void close() {
        server.stop(0);
    }
}
