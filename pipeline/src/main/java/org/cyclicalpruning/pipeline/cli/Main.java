package org.cyclicalpruning.pipeline.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code cyclical-pruning} command line. */
@Command(
        name = "cyclical-pruning",
        mixinStandardHelpOptions = true,
        version = "cyclical-pruning 0.1.0",
        description =
                "Train neural networks with cyclical sparsity schedules and compare them with gradual magnitude pruning.",
        subcommands = {
            DemoCommand.class,
            RunCommand.class,
            ProduceCommand.class,
            InspectCommand.class,
            ExportCommand.class,
            ExperimentCommand.class,
            ScheduleCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main {
    private Main() {}

    /**
     * Runs the command line.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        int code = newCommandLine().execute(args);
        if (runsStandalone()) {
            System.exit(code);
        }
        // Submitted to a Flink cluster, this main runs inside the JobManager: exiting would stop the
        // JobManager, so a failure is reported by throwing, which fails the submission instead.
        if (code != 0) {
            throw new IllegalStateException(
                    "cyclical-pruning " + String.join(" ", args) + " failed with exit code " + code);
        }
    }

    /** Returns whether this runs as its own program (java -jar), not inside a Flink JobManager. */
    static boolean runsStandalone() {
        return Main.class.getClassLoader() == ClassLoader.getSystemClassLoader();
    }

    /** Returns the configured command line, for tests and embedding. */
    public static CommandLine newCommandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
                // configuration and input errors: the message says what to fix, a trace would bury it
                commandLine.getErr().println("error: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cli;
    }
}
