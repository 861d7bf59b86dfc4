/**
 * The {@code cyclical-pruning} command line ({@link org.cyclicalpruning.tools.cli.Main}):
 * {@code demo}, {@code run}, {@code produce}, {@code inspect}, {@code export}, {@code experiment},
 * {@code schedule} and {@code bench}. Depends on every module; nothing depends on it.
 */
package org.cyclicalpruning.tools.cli;
