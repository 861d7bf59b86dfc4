package org.cyclicalpruning.pipeline;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOption;
import org.cyclicalpruning.pipeline.config.JobOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the streaming job against an external Kafka. Run by {@code java -jar} it starts a local
 * Flink; submitted to a cluster (the same jar, this command as its arguments) it runs there.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = "Run the streaming training job: Kafka batches in, sparse model snapshots out.")
public final class RunCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "The job's YAML configuration (keys below).")
    Path config;

    @Option(
            names = "--set",
            description = "Override one key, key=value as in the YAML file (e.g. --set parallelism=2); repeatable.")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        JobConfig.Builder builder = JobConfig.load(config).toBuilder();
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--set needs key=value, got '" + o + "'");
            }
            builder.set(o.substring(0, eq).trim(), o.substring(eq + 1).trim());
        }
        JobConfig job = builder.build();
        if (JobMain.runsStandalone()) {
            job = job.forLocalRun(); // a local Flink has no cluster configuration to take the folder from
        }
        TopicCheck.requireTopics(job);
        System.out.println("starting " + job);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(TrainingJob.flinkConfiguration(job));
        TrainingJob.build(env, job);
        env.execute("cyclical-pruning");
        return 0;
    }

    /** Lists every key of the job's configuration, its default and meaning, under {@code run --help}. */
    static void listKeysInHelp(CommandLine cli) {
        if (cli.getCommandSpec().userObject() instanceof RunCommand) {
            // picocli formats the footer: %n is a line break, a literal % is written %%
            StringBuilder keys = new StringBuilder("%nKeys (YAML, nested or dotted; --set key=value):%n");
            for (JobOption<?> option : JobOptions.ALL) {
                keys.append("  ")
                        .append(option.key())
                        .append(" (default: ")
                        .append(option.formattedDefault().replace("%", "%%"))
                        .append(")%n      ")
                        .append(option.description().replace("%", "%%"))
                        .append("%n");
            }
            cli.getCommandSpec().usageMessage().footer(keys.toString());
        }
        cli.getSubcommands().values().forEach(RunCommand::listKeysInHelp);
    }
}
