package org.cyclicalpruning.pipeline;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The cluster jar's entry point: {@code run --config job.yaml [--set key=value ...]}, as Flink's
 * REST API, {@code flink run} or the Kubernetes operator pass it. The command-line jar offers the
 * same {@code run} among its other commands.
 */
@Command(
        name = "cyclical-pruning-job",
        mixinStandardHelpOptions = true,
        description = "The streaming training job: Kafka batches in, sparse model snapshots out.",
        subcommands = {RunCommand.class, CommandLine.HelpCommand.class})
public final class JobMain {
    private JobMain() {}

    /**
     * Runs {@code run} (or {@code help}).
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        exit(withErrorMessages(new CommandLine(new JobMain())), args);
    }

    /**
     * Makes {@code cli} report configuration and input errors, and mistyped options, as one line
     * naming what to fix, with exit code 2, instead of a stack trace or the whole usage; {@code run
     * --help} lists the job's keys.
     *
     * @param cli the command line
     * @return {@code cli}
     */
    public static CommandLine withErrorMessages(CommandLine cli) {
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
                // configuration and input errors: the message says what to fix, a trace would bury it
                commandLine.getErr().println("error: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        // picocli prints the whole usage after a mistyped flag or value, burying the one line
        // that matters; this prints that line and where the usage is
        cli.setParameterExceptionHandler((e, args) -> {
            CommandLine failed = e.getCommandLine();
            failed.getErr().println("error: " + e.getMessage());
            failed.getErr().println("see '" + failed.getCommandSpec().qualifiedName() + " --help'");
            return 2;
        });
        RunCommand.listKeysInHelp(cli);
        return cli;
    }

    /**
     * Executes {@code cli} and ends as a program should where it runs: with an exit code when it is
     * a program of its own, by throwing when it runs inside a Flink JobManager.
     *
     * @param cli the command line
     * @param args its arguments
     */
    public static void exit(CommandLine cli, String[] args) {
        int code = cli.execute(args);
        if (runsStandalone()) {
            System.exit(code);
        }
        // Submitted to a Flink cluster, main runs inside the JobManager: exiting would stop the
        // JobManager, so a failure is reported by throwing, which fails the submission instead.
        if (code != 0) {
            throw new IllegalStateException(
                    cli.getCommandName() + " " + String.join(" ", args) + " failed with exit code " + code);
        }
    }

    /** Returns whether this runs as its own program (java -jar), not inside a Flink JobManager. */
    public static boolean runsStandalone() {
        return JobMain.class.getClassLoader() == ClassLoader.getSystemClassLoader();
    }
}
