package org.cyclicalpruning.pipeline.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.junit.jupiter.api.Test;

/** The files under deploy/ parse and agree with each other and with the build. */
class DeployFilesTest {
    private static final Path DEPLOY = Path.of("..", "deploy");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static JsonNode yaml(String file) throws IOException {
        return YAML.readTree(DEPLOY.resolve(file).toFile());
    }

    private static List<JsonNode> yamlDocuments(String file) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (YAMLParser parser =
                new YAMLFactory().createParser(DEPLOY.resolve(file).toFile())) {
            YAML.readValues(parser, JsonNode.class).forEachRemaining(docs::add);
        }
        return docs;
    }

    private static String group(String text, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(text);
        assertThat(m.find())
                .as("%s in %s", regex, text.length() > 200 ? text.substring(0, 200) : text)
                .isTrue();
        return m.group(1);
    }

    @Test
    void theFlinkDeploymentRunsTheImageAndJarTheRecipeBuilds() throws IOException {
        JsonNode deployment = yaml("k8s/flink-deployment.yaml");
        String dockerfile = Files.readString(DEPLOY.resolve("k8s/Dockerfile"));
        String buildScript = Files.readString(DEPLOY.resolve("k8s/build-image.sh"));
        String pom = Files.readString(Path.of("pom.xml"));

        assertThat(deployment.at("/kind").asText()).isEqualTo("FlinkDeployment");
        assertThat(deployment.at("/spec/image").asText()).isEqualTo(group(buildScript, "IMAGE=\\$\\{IMAGE:-([^}]+)}"));
        String jarUri = deployment.at("/spec/job/jarURI").asText();
        assertThat(jarUri).startsWith("local://");
        String jarInImage = jarUri.substring("local://".length());
        assertThat(dockerfile).contains("COPY cyclical-pruning-job.jar " + jarInImage);
        assertThat(Path.of(jarInImage).getFileName().toString())
                .isEqualTo(group(pom, "<id>cluster-job</id>[\\s\\S]*?<finalName>([^<]+)</finalName>") + ".jar");
        List<String> args = new ArrayList<>();
        deployment.at("/spec/job/args").forEach(a -> args.add(a.asText()));
        assertThat(args.subList(0, 2)).containsExactly("run", "--config");
        assertThat(dockerfile).contains("COPY job.yaml " + args.get(2));

        String flink = EnvironmentInformation.getVersion();
        assertThat(dockerfile).contains("FROM flink:" + flink + "-java17");
        String[] v = flink.split("\\.");
        assertThat(deployment.at("/spec/flinkVersion").asText()).isEqualTo("v" + v[0] + "_" + v[1]);
    }

    @Test
    void clusterSettingsAgreeBetweenTheStandaloneAndKubernetesConfigurations() throws IOException {
        JsonNode standalone = yaml("conf/config.yaml");
        JsonNode k8s = yaml("k8s/flink-deployment.yaml").at("/spec/flinkConfiguration");
        assertThat(standalone
                        .get("classloader.parent-first-patterns.additional")
                        .get(0)
                        .asText())
                .isEqualTo("ai.djl.");
        assertThat(k8s.get("classloader.parent-first-patterns.additional").asText())
                .isEqualTo("ai.djl.");
        for (String key : List.of(
                "state.backend.type",
                "taskmanager.memory.segment-size",
                "restart-strategy.type",
                "execution.checkpointing.externalized-checkpoint-retention",
                "metrics.reporter.prom.factory.class")) {
            assertThat(k8s.get(key).asText())
                    .as(key)
                    .isEqualTo(standalone.get(key).asText());
        }
    }

    @Test
    void jobConfigsLoadAndTopicsMatchTheJobsDefaults() throws IOException {
        JobConfig inImage = JobConfig.load(DEPLOY.resolve("k8s/job.yaml"));
        JobConfig standalone = JobConfig.load(DEPLOY.resolve("conf/job.yaml"));
        assertThat(inImage.models().declared()).isNotEmpty();
        assertThat(ids(standalone)).isEqualTo(ids(inImage));
        JobConfig defaults = JobConfig.defaultConfig();
        Map<String, JsonNode> topics = new java.util.HashMap<>();
        for (JsonNode doc : yamlDocuments("k8s/kafka-topics.yaml")) {
            if (doc.at("/kind").asText().equals("KafkaTopic")) {
                topics.put(doc.at("/metadata/name").asText(), doc);
            }
        }
        assertThat(topics.keySet())
                .containsExactlyInAnyOrder(
                        defaults.get(JobOptions.INPUT_TOPIC),
                        defaults.get(JobOptions.SNAPSHOT_TOPIC),
                        defaults.get(JobOptions.DEAD_LETTER_TOPIC));
        assertThat(topics.get(defaults.get(JobOptions.SNAPSHOT_TOPIC))
                        .at("/spec/config/cleanup.policy")
                        .asText())
                .isEqualTo("compact");
        assertThat(inImage.get(JobOptions.BOOTSTRAP_SERVERS))
                .startsWith(topics.get(defaults.get(JobOptions.INPUT_TOPIC))
                                .at("/metadata/labels/strimzi.io~1cluster")
                                .asText()
                        + "-kafka-bootstrap");
        String kafkaScript = Files.readString(DEPLOY.resolve("bin/kafka.sh"));
        for (String topic : topics.keySet()) {
            assertThat(kafkaScript).contains("--topic " + topic);
        }
    }

    private static List<String> ids(JobConfig config) {
        return config.models().declared().stream().map(d -> d.getModelId()).toList();
    }
}
