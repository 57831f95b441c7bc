package dev.batchlane.functions.complete;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/**
 * Which stream records complete acts on: shards reaching ENDED, and jobs whose finish was just
 * asked for.
 */
class ShardEndedTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String job(String oldExtra, String newExtra) {
        return "{\"Records\":[{\"eventName\":\"MODIFY\",\"dynamodb\":{"
                + "\"NewImage\":{\"type\":{\"S\":\"job\"},\"jobId\":{\"S\":\"job-1\"},\"status\":{\"S\":\"RUNNING\"}"
                + newExtra
                + "},"
                + "\"OldImage\":{\"type\":{\"S\":\"job\"},\"jobId\":{\"S\":\"job-1\"},\"status\":{\"S\":\"RUNNING\"}"
                + oldExtra
                + "}}}]}";
    }

    @Test
    void aFinishRequestAppearingOnARunningJob_isAFinishOfThatJob() throws Exception {
        String asked = ",\"finishRequestedAt\":{\"N\":\"1764583200000\"}";
        assertThat(ShardEnded.from(JSON.readTree(job("", asked))))
                .containsExactly(new ShardEnded("job-1", -1));
        // any later write on the job while the request stands is not a new request
        assertThat(ShardEnded.from(JSON.readTree(job(asked, asked)))).isEmpty();
        assertThat(ShardEnded.from(JSON.readTree(job("", "")))).isEmpty();
    }
}
