package org.cyclicalpruning.tools.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.cyclicalpruning.tools.cli.Main;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;

/**
 * The command-line page's reference is picocli's own help of every command, so it cannot drift
 * from the options: a changed option without a regenerated page fails here. The expected page is
 * written to {@code target/cli.md}; copy it over {@code docs/cli.md} after checking the change.
 */
class CommandLineReferenceTest {
    private static final Path PAGE = Path.of("..", "docs", "cli.md");
    private static final String START = "<!-- generated: command-line reference -->\n";
    private static final String END = "<!-- end of generated reference -->";

    @org.junit.jupiter.api.Test
    void theCommandLinePageHoldsEveryCommandsHelpAsPicocliPrintsIt() throws IOException {
        String page = Files.readString(PAGE, StandardCharsets.UTF_8);
        assertThat(page).contains(START).contains(END);
        String expected = page.substring(0, page.indexOf(START) + START.length())
                + reference()
                + page.substring(page.indexOf(END));
        Files.writeString(Path.of("target", "cli.md"), expected, StandardCharsets.UTF_8);
        assertThat(page)
                .as("docs/cli.md's generated reference; the expected page is in tools/target/cli.md")
                .isEqualTo(expected);
    }

    /** Every command's usage help, as {@code COMMAND --help} prints it without colours. */
    static String reference() {
        CommandLine cli = Main.newCommandLine();
        StringBuilder out = new StringBuilder(
                "\n## Reference\n\nPrinted by `--help`; generated, checked by `CommandLineReferenceTest`.\n");
        for (Map.Entry<String, CommandLine> e : cli.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) {
                continue;
            }
            out.append("\n### ")
                    .append(e.getKey())
                    .append("\n\n```text\n")
                    .append(e.getValue().getUsageMessage(Ansi.OFF).stripTrailing())
                    .append("\n```\n");
        }
        return out.append('\n').toString();
    }
}
