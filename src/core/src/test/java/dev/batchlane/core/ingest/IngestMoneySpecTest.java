package dev.batchlane.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.testkit.Lane;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The budget holds at the edges of arithmetic: output caps whose sum leaves the range of a long,
 * and budgets written with exponents no person means. Both once let a file through or took ingest
 * down; both must end in a rejection that names the rule, with nothing sent.
 */
class IngestMoneySpecTest {
    @TempDir Path tmp;

    private static String line(String id, String maxTokens) {
        return "{\"custom_id\":\""
                + id
                + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":"
                + "\"gpt-4o-mini\",\"max_tokens\":"
                + maxTokens
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}\n";
    }

    private String report(Lane lane, IngestService.ObjectRef ref, String jobId) {
        Keys.Drop drop = Keys.parseInbox(ref.key()).orElseThrow();
        return lane.text(Keys.rejectedReport(drop.provider(), drop.name(), jobId));
    }

    @Test
    void outputCapsWhoseSumOverflowsALong_areProjectedTooLarge_notNegative_andRefused() {
        Lane lane = new Lane(tmp);
        String huge = String.valueOf(Long.MAX_VALUE - 1);
        IngestService.ObjectRef ref =
                lane.drop(
                        "caps.jsonl",
                        line("a", huge) + line("b", huge),
                        Map.of("budget-usd", "1000"));

        var r = lane.ingest.ingest(ref);

        assertThat(r.outcome()).isEqualTo(IngestService.Outcome.REJECTED);
        assertThat(lane.provider.calls).isEmpty();
        assertThat(report(lane, ref, r.jobId()))
                .contains("over_budget")
                .contains("up to " + Long.MAX_VALUE + " output tokens");
    }

    @Test
    void aBudgetWithAnAbsurdExponent_isRefusedAsInvalid_withoutBuildingTheNumber() {
        Lane lane = new Lane(tmp);
        IngestService.ObjectRef ref =
                lane.drop("rich.jsonl", Lane.requests("r", 2), Map.of("budget-usd", "1e999999999"));

        var r = lane.ingest.ingest(ref);

        assertThat(r.outcome()).isEqualTo(IngestService.Outcome.REJECTED);
        assertThat(lane.provider.calls).isEmpty();
        assertThat(report(lane, ref, r.jobId()))
                .contains("budget_invalid")
                .contains("'1e999999999'");
    }
}
