package org.cyclicalpruning.pipeline.validate;

import static org.assertj.core.api.Assertions.assertThat;

import org.cyclicalpruning.schemas.DeadLetter;
import org.cyclicalpruning.schemas.DeadLetterCause;
import org.junit.jupiter.api.Test;

/** Every cause makes a dead letter that both of its readers understand. */
class DeadLettersTest {
    /**
     * A cause added to the enum without a reason for the readers of release 0.1.0 threw in the
     * dead-letter path, and the job failed on the record that caused it.
     */
    @Test
    void everyCauseHasAReasonThatReadersOfReleaseZeroOneUnderstand() {
        for (DeadLetterCause cause : DeadLetterCause.values()) {
            DeadLetter letter = DeadLetters.of("in", 0, 1L, "m", cause, "why", new byte[] {1});
            assertThat(letter.getCause()).isEqualTo(cause);
            assertThat(letter.getReason()).as("%s", cause).isEqualTo(DeadLetters.reasonOf(cause));
            assertThat(DeadLetters.fromBytes(DeadLetters.toBytes(letter)).getCause())
                    .isEqualTo(cause);
        }
    }
}
