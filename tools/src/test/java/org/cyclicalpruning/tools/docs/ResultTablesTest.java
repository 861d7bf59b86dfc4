package org.cyclicalpruning.tools.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The results tables in the docs are the ones their scripts print from the CSV files beside them,
 * or hold the CSV's figures: a re-measured CSV without a regenerated table, or a table edited by
 * hand, fails here.
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

    @Test
    void theResultsPagesFashionMnistTableIsWhatFashionCsvHolds() throws IOException {
        Map<String, String> measured = new HashMap<>();
        List<String> csv = Files.readAllLines(ROOT.resolve("docs/results/fashion.csv"));
        for (String line : csv.subList(1, csv.size())) {
            String[] f = line.split(",", -1);
            measured.put(
                    f[0] + " " + String.format(Locale.ROOT, "%.2f", Double.parseDouble(f[1])),
                    String.format(Locale.ROOT, "%.4f", Double.parseDouble(f[3])));
        }
        String page = Files.readString(ROOT.resolve("docs/results.md"), StandardCharsets.UTF_8);
        int command = page.indexOf("--csv docs/results/fashion.csv");
        assertThat(command).as("the table's command in docs/results.md").isPositive();
        int rows = 0;
        boolean inTable = false;
        for (String line : page.substring(command).lines().skip(1).toList()) {
            if (!line.startsWith("|")) {
                if (inTable) {
                    break;
                }
                continue;
            }
            inTable = true;
            String[] cells = line.split("\\|");
            String method = cells[1].trim().toLowerCase(Locale.ROOT);
            if (!List.of("dense", "gmp", "cyclical").contains(method)) {
                continue; // the header and its rule
            }
            String key = method + " " + String.format(Locale.ROOT, "%.2f", Double.parseDouble(cells[2].trim()));
            assertThat(cells[4].replace("**", "").trim())
                    .as("docs/results.md's 'now' for %s", key)
                    .isEqualTo(measured.get(key));
            rows++;
        }
        assertThat(rows).isEqualTo(measured.size());
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
