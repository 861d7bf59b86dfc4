package org.cyclicalpruning.tools.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import me.tongfei.progressbar.ProgressBar;
import org.junit.jupiter.api.Test;

class ProgressTest {
    private static String run(boolean terminal) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
                ProgressBar bar = Progress.bar("produce", 10, terminal, err).build()) {
            bar.stepBy(10);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void elsewhereThanATerminalItWritesPlainLinesWithoutRedraws() {
        String out = run(false);
        assertThat(out).doesNotContain("\r").contains("produce").endsWith(System.lineSeparator());
        java.util.List<String> lines = out.lines().toList();
        // the bar renders its final state twice as it closes: written once
        assertThat(lines).doesNotHaveDuplicates();
        assertThat(lines.get(lines.size() - 1)).contains("100%", "10/10");
    }

    @Test
    void onATerminalItRedrawsOneLine() {
        assertThat(run(true)).contains("\r").contains("produce");
    }
}
