package org.cyclicalpruning.tools.cli;

import org.cyclicalpruning.pipeline.JobMain;
import org.cyclicalpruning.pipeline.RunCommand;
import org.cyclicalpruning.tools.bench.BenchCommand;
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
            ServeDirCommand.class,
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
        JobMain.exit(newCommandLine(), args);
    }

    /** Returns the configured command line, for tests and embedding. */
    public static CommandLine newCommandLine() {
        return JobMain.withErrorMessages(new CommandLine(new Main()));
    }
}
