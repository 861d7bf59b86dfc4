package org.cyclicalpruning.pipeline.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code cyclical-pruning} command line. */
@Command(
        name = "cyclical-pruning",
        mixinStandardHelpOptions = true,
        version = "cyclical-pruning 0.1.0",
        description = "Train neural networks with cyclical sparsity schedules and compare them with gradual magnitude pruning.",
        subcommands = {DemoCommand.class, RunCommand.class, ProduceCommand.class, InspectCommand.class, ExperimentCommand.class, ScheduleCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    private Main() {}

    /**
     * Runs the command line.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(newCommandLine().execute(args));
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
