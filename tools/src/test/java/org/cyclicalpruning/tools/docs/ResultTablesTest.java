package org.cyclicalpruning.tools.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The results tables in the docs are the ones their scripts print from the CSV files beside them:
 * a re-measured CSV without a regenerated table, or a table edited by hand, fails here.
 */
class ResultTablesTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void theDriftAwareTableIsWhatItsScriptPrintsFromTheCsvFiles() throws Exception {
        String printed = run(ROOT.resolve("docs/results/drift-aware/table.py"));
        String page = Files.readString(ROOT.resolve("docs/drift-aware.md"), StandardCharsets.UTF_8);
        String start = "<!-- table: printed by docs/results/drift-aware/table.py -->\n";
        String end = "<!-- end of table -->";
        assertThat(page).contains(start).contains(end);
        String inPage = page.substring(page.indexOf(start) + start.length(), page.indexOf(end));
        assertThat(inPage.strip()).isEqualTo(printed.strip());
    }

    private static String run(Path script) throws IOException, InterruptedException {
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        Process process = new ProcessBuilder(python, script.toString())
                .directory(ROOT.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS))
                .as("%s finished", script)
                .isTrue();
        assertThat(process.exitValue()).as("%s: %s", script, out).isZero();
        return out;
    }
}
