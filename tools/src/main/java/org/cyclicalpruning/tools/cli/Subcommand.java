package org.cyclicalpruning.tools.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * A subcommand of {@code cyclical-pruning} that answers {@code -h, --help} and {@code -V,
 * --version} as the top command does; subclasses give their name, description and options.
 */
@Command(mixinStandardHelpOptions = true)
abstract class Subcommand implements Callable<Integer> {}
