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
        // the job's config is job.yaml, from the ConfigMap kustomization.yaml makes of it
        JsonNode kustomization = yaml("k8s/kustomization.yaml");
        JsonNode generated = kustomization.at("/configMapGenerator/0");
        assertThat(generated.at("/files/0").asText()).isEqualTo("job.yaml");
        JsonNode pod = deployment.at("/spec/podTemplate/spec");
        String volume = null;
        for (JsonNode v : pod.at("/volumes")) {
            if (v.at("/configMap/name").asText().equals(generated.at("/name").asText())) {
                volume = v.at("/name").asText();
            }
        }
        assertThat(volume).as("a volume of the generated ConfigMap").isNotNull();
        String mountPath = null;
        for (JsonNode m : pod.at("/containers/0/volumeMounts")) {
            if (m.at("/name").asText().equals(volume)) {
                mountPath = m.at("/mountPath").asText();
            }
        }
        assertThat(args.get(2)).isEqualTo(mountPath + "/job.yaml");
        assertThat(dockerfile).doesNotContain("job.yaml");
        List<String> resources = new ArrayList<>();
        kustomization.at("/resources").forEach(r -> resources.add(r.asText()));
        assertThat(resources).containsExactlyInAnyOrder("flink-deployment.yaml", "kafka-topics.yaml");
        assertThat(kustomization.at("/generatorOptions/disableNameSuffixHash").asBoolean())
                .isTrue();

        String flink = EnvironmentInformation.getVersion();
        assertThat(dockerfile).contains("FROM flink:" + flink + "-java17");
        String[] v = flink.split("\\.");
        assertThat(deployment.at("/spec/flinkVersion").asText()).isEqualTo("v" + v[0] + "_" + v[1]);
    }

    /**
     * The JobManager alone loads Avro parent-first (against a class loader leak on redeploys): the
     * standalone script passes the dynamic properties of conf/jobmanager-args, and the Kubernetes
     * JobManager's entrypoint gets the same ones; TaskManagers read only "ai.djl." from the shared
     * configuration.
     */
    @Test
    void theJobManagersParentFirstSettingIsTheSameEverywhere() throws IOException {
        List<String> args = Files.readAllLines(DEPLOY.resolve("conf/jobmanager-args")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#"))
                .toList();
        assertThat(args).containsExactly("-D classloader.parent-first-patterns.additional=ai.djl.;org.apache.avro.");
        assertThat(Files.readString(DEPLOY.resolve("bin/flink-cluster.sh")))
                .contains("conf/jobmanager-args")
                .doesNotContain("org.apache.avro.");
        assertThat(yaml("k8s/flink-deployment.yaml")
                        .at("/spec/flinkConfiguration")
                        .get("kubernetes.jobmanager.entrypoint.args")
                        .asText())
                .isEqualTo(String.join(" ", args));
    }

    @Test
    void kubernetesHasHighAvailabilityOnTheDataVolumeAndBothLogConfigurationsRoll() throws IOException {
        JsonNode deployment = yaml("k8s/flink-deployment.yaml");
        JsonNode flink = deployment.at("/spec/flinkConfiguration");
        assertThat(flink.get("high-availability.type").asText()).isEqualTo("kubernetes");
        String dataMount = null;
        for (JsonNode m : deployment.at("/spec/podTemplate/spec/containers/0/volumeMounts")) {
            if (m.at("/name").asText().equals("flink-data")) {
                dataMount = m.at("/mountPath").asText();
            }
        }
        assertThat(flink.get("high-availability.storageDir").asText()).startsWith("file://" + dataMount + "/");
        java.util.Properties k8sLog = new java.util.Properties();
        k8sLog.load(new java.io.StringReader(
                deployment.at("/spec/logConfiguration/log4j-console.properties").asText()));
        java.util.Properties standaloneLog = new java.util.Properties();
        try (var in = Files.newInputStream(DEPLOY.resolve("conf/log4j.properties"))) {
            standaloneLog.load(in);
        }
        for (java.util.Properties log : List.of(k8sLog, standaloneLog)) {
            assertThat(log.getProperty("appender.rolling.type")).isEqualTo("RollingFile");
            assertThat(log.getProperty("appender.rolling.policies.size.type")).isEqualTo("SizeBasedTriggeringPolicy");
            assertThat(log.values()).doesNotContain("File");
        }
    }

    /**
     * Prometheus's own tool accepts the scrape configuration and the alerting rules, and the rules'
     * unit tests (alerts-test.yml: each alert fires on the series it is for, and not before) pass.
     */
    @Test
    void promtoolAcceptsTheConfigurationAndTheAlertingRulesAndTheirTestsPass() throws Exception {
        Path dir = DEPLOY.resolve("prometheus");
        for (List<String> command : List.of(
                List.of("promtool", "check", "config", "prometheus.yml"),
                List.of("promtool", "check", "rules", "alerts.yml"),
                List.of("promtool", "test", "rules", "alerts-test.yml"))) {
            Process p = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("%s:%n%s", command, out).isZero();
            assertThat(out).contains("SUCCESS");
        }
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
