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

    /**
     * Every results table that follows an {@code experiment ... --csv docs/results/F.csv} command,
     * on the results page and in the README, shows F's figures at the precision it prints them:
     * the means of test accuracy ("now", "ours", "post-drift test accuracy", a GMP or cyclical
     * column), support recall and test MSE. A table after such a command whose layout this does not
     * recognise fails too, so that no table escapes the check.
     */
    @Test
    void everyResultsTableAfterACsvCommandHoldsThatCsvsFigures() throws IOException {
        int checked = 0;
        for (Path doc : List.of(ROOT.resolve("docs/results.md"), ROOT.resolve("README.md"))) {
            List<String> lines = Files.readAllLines(doc, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                java.util.regex.Matcher csv = java.util.regex.Pattern.compile("--csv (docs/results/[\\w.-]+\\.csv)")
                        .matcher(lines.get(i));
                if (!lines.get(i).contains("experiment") || !csv.find()) {
                    continue;
                }
                Map<String, Map<String, String>> rows = csvRows(ROOT.resolve(csv.group(1)));
                int start = i + 1;
                while (!lines.get(start).startsWith("|")) {
                    start++;
                }
                List<String[]> table = new java.util.ArrayList<>();
                for (int j = start; j < lines.size() && lines.get(j).startsWith("|"); j++) {
                    table.add(cells(lines.get(j)));
                }
                int cells = checkTable(table, rows, doc.getFileName() + ":" + (start + 1) + " (" + csv.group(1) + ")");
                assertThat(cells)
                        .as(
                                "figures checked in the table at %s:%s after %s",
                                doc.getFileName(), start + 1, csv.group(1))
                        .isPositive();
                checked += cells;
            }
        }
        assertThat(checked).isGreaterThan(50);
    }

    /** Checks a table's figures against the CSV's rows (keyed "method sparsity"); returns how many. */
    private static int checkTable(List<String[]> table, Map<String, Map<String, String>> rows, String where) {
        String[] header = table.get(0);
        int checked = 0;
        for (String[] row : table.subList(2, table.size())) {
            for (int c = 0; c < header.length && c < row.length; c++) {
                String h = header[c].toLowerCase(Locale.ROOT).replace("**", "");
                String key;
                String column;
                if (header[0].equalsIgnoreCase("method")) {
                    String method = row[0].toLowerCase(Locale.ROOT);
                    // without a sparsity column, the run had one sparsity per method
                    key = header[1].equalsIgnoreCase("sparsity")
                            ? method + " " + sparsity(row[1])
                            : onlyKeyOf(rows, method);
                    column = h.equals("now") || h.equals("ours") || h.startsWith("post-drift test accuracy")
                            ? "test_accuracy"
                            : h.startsWith("support recall") || h.startsWith("recall of the new support")
                                    ? "support_recall"
                                    : h.startsWith("test mse") ? "test_mse" : null;
                } else if (h.equals("gmp") || h.equals("cyclical")) {
                    if (header[0].equalsIgnoreCase("sparsity")) {
                        key = h + " " + sparsity(row[0]);
                    } else if (header[0].equalsIgnoreCase("variant") && row == table.get(2)) {
                        // the study's CSV holds its first variant, the default, at its one sparsity
                        key = onlyKeyOf(rows, h);
                    } else {
                        continue;
                    }
                    column = "test_accuracy";
                } else {
                    continue;
                }
                if (column == null || !rows.containsKey(key)) {
                    continue;
                }
                java.util.regex.Matcher number =
                        java.util.regex.Pattern.compile("\\d+\\.(\\d+)").matcher(row[c]);
                if (!number.find()) {
                    continue;
                }
                int decimals = number.group(1).length();
                String expected = String.format(
                        Locale.ROOT,
                        "%." + decimals + "f",
                        Double.parseDouble(rows.get(key).get(column)));
                assertThat(number.group())
                        .as("%s, %s, %s", where, key, header[c])
                        .isEqualTo(expected);
                checked++;
            }
        }
        return checked;
    }

    /** The key of the CSV's one row of {@code method}; the method alone if it has none or several. */
    private static String onlyKeyOf(Map<String, Map<String, String>> rows, String method) {
        List<String> keys =
                rows.keySet().stream().filter(k -> k.startsWith(method + " ")).toList();
        return keys.size() == 1 ? keys.get(0) : method;
    }

    private static String sparsity(String cell) {
        return String.format(
                Locale.ROOT, "%.2f", Double.parseDouble(cell.replace("**", "").trim()));
    }

    private static String[] cells(String line) {
        String[] raw = line.substring(1, line.lastIndexOf('|')).split("\\|", -1);
        for (int i = 0; i < raw.length; i++) {
            raw[i] = raw[i].trim();
        }
        return raw;
    }

    /** The CSV's rows by "method sparsity" (sparsity to two decimals), each a map of column to value. */
    private static Map<String, Map<String, String>> csvRows(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        String[] header = lines.get(0).split(",");
        Map<String, Map<String, String>> rows = new HashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            Map<String, String> row = new HashMap<>();
            for (int i = 0; i < header.length; i++) {
                row.put(header[i], f[i]);
            }
            rows.put(f[0] + " " + sparsity(f[1]), row);
        }
        return rows;
    }

    /**
     * Every figure in the tables of the performance page is one that the benchmark files under
     * docs/results (bench, soak) hold, at the precision shown, as stored or in the unit shown (a
     * ratio as a percentage, bytes as MB, ...), the mean of runs they list, or the relative
     * difference of two step times they hold. Not checked: the
     * first column (labels), targets, text in parentheses (earlier runs, quoted for their spread)
     * and the JMH table, whose output no file keeps.
     */
    @Test
    void everyFigureInThePerformanceTablesIsInTheBenchmarkFiles() throws IOException {
        List<Double> pool = new java.util.ArrayList<>();
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String folder : List.of("docs/results/bench", "docs/results/soak")) {
            try (var files = Files.list(ROOT.resolve(folder))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                    collect(json.readTree(f.toFile()), pool);
                }
            }
        }
        List<String> lines = Files.readAllLines(ROOT.resolve("docs/performance.md"), StandardCharsets.UTF_8);
        String[] header = null;
        int checked = 0;
        java.util.regex.Pattern number = java.util.regex.Pattern.compile("([+\u2212-]?)(\\d[\\d,]*(?:\\.\\d+)?)");
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (!line.startsWith("| ")) {
                header = null;
                continue;
            }
            String[] cells = cells(line);
            if (header == null) {
                header = cells;
                continue;
            }
            if (line.startsWith("| ---") || header[0].equals("operation")) {
                continue;
            }
            for (int c = 1; c < cells.length && c < header.length; c++) {
                if (header[c].equals("target")) {
                    continue;
                }
                java.util.regex.Matcher m = number.matcher(cells[c].replaceAll("\\([^)]*\\)", ""));
                while (m.find()) {
                    String digits = m.group(2).replace(",", "");
                    if (!digits.contains(".") && digits.length() < 2) {
                        continue; // a count such as "2 threads"
                    }
                    assertThat(inPool(pool, Double.parseDouble(digits), digits))
                            .as("performance.md:%s, %s: %s is in no benchmark file", i + 1, header[c], m.group())
                            .isTrue();
                    checked++;
                }
            }
        }
        assertThat(checked).isGreaterThan(100);
    }

    /** Whether a shown figure is a stored one, in one of the units the page uses, at its precision. */
    private static boolean inPool(List<Double> pool, double shown, String digits) {
        int decimals = digits.contains(".") ? digits.length() - digits.indexOf('.') - 1 : 0;
        double half = 0.5 * Math.pow(10, -decimals) + 1e-9;
        double[] units = {1, 100, 1e-3, 1e3, 1e-6, 1.0 / (1 << 20), 1e-9};
        for (double stored : pool) {
            for (double unit : units) {
                if (Math.abs(Math.abs(stored * unit) - shown) <= half) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Every number of a JSON document: values, keys that are numbers, and the mean of each list of numbers. */
    private static void collect(com.fasterxml.jackson.databind.JsonNode node, List<Double> pool) {
        if (node.isNumber()) {
            pool.add(node.asDouble());
        } else if (node.isObject()) {
            // step times are compared as relative differences ("+5.9%" against no pruning)
            List<Double> stepTimes = new java.util.ArrayList<>();
            node.fields().forEachRemaining(e -> {
                if (e.getKey().startsWith("ms_per_step") && e.getValue().isNumber()) {
                    stepTimes.add(e.getValue().asDouble());
                }
            });
            for (double a : stepTimes) {
                for (double b : stepTimes) {
                    pool.add(a / b - 1);
                }
            }
            node.fields().forEachRemaining(e -> {
                if (e.getKey().matches("\\d+(\\.\\d+)?")) {
                    pool.add(Double.parseDouble(e.getKey()));
                }
                collect(e.getValue(), pool);
            });
        } else if (node.isArray()) {
            double sum = 0;
            int n = 0;
            for (com.fasterxml.jackson.databind.JsonNode e : node) {
                collect(e, pool);
                if (e.isNumber()) {
                    sum += e.asDouble();
                    n++;
                }
            }
            if (n > 1) {
                pool.add(sum / n);
            }
        }
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
