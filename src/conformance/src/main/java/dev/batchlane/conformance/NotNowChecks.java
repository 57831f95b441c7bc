package dev.batchlane.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.ProviderBusy;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Submission;
import org.junit.jupiter.api.Test;

/**
 * The provider's "not now" (a 429 at create, a full queue): the shard waits and nothing is made or
 * failed, so the lane's pacing, not the provider, decides when it goes again.
 */
interface NotNowChecks {
    /** The target and the lane's side of this test. */
    ConformanceRun run();

    @Test
    default void rateLimitedCreate_makesTheShardWait_andMakesNothing() {
        ConformanceRun run = run();
        ConformanceTarget t = run.target();
        BatchProvider provider = run.provider();
        TestShard s = run.shard();
        String fileId = provider.upload(s.payload());
        t.rateLimitNextCreate();
        ProviderException refused =
                catchThrowableOfType(
                        ProviderException.class,
                        () -> provider.create(fileId, s.payload(), t.endpoint(), s.metadata()));
        run.assertWaits(refused, "a 429 at create");
        assertThat(t.batchesMade()).isZero();
        run.finishAndClean(s, provider.create(fileId, s.payload(), t.endpoint(), s.metadata()));
        run.nothingLeft();
    }

    @Test
    default void fullQueue_makesTheShardWait_andNoRequestFails() {
        ConformanceRun run = run();
        ConformanceTarget t = run.target();
        BatchProvider provider = run.provider();
        TestShard s = run.shard();
        String fileId = provider.upload(s.payload());
        t.fillQueueForNextCreate();
        Submission sub;
        try {
            sub = provider.create(fileId, s.payload(), t.endpoint(), s.metadata());
        } catch (ProviderException refused) {
            run.assertWaits(refused, "a full queue at create");
            run.finishAndClean(s, provider.create(fileId, s.payload(), t.endpoint(), s.metadata()));
            run.nothingLeft();
            return;
        }
        BatchView ended = run.runToEnd(sub);
        assertThat(ended.busy())
                .as(
                        "%s: a batch created into a full queue must end saying so (busy), not as a"
                                + " failure of its requests; it ended %s (%s)",
                        provider.name(), ended.state(), ended.error())
                .isNotNull();
        assertThat(ended.busy().reason()).isEqualTo(ProviderBusy.Reason.ENQUEUED_TOKENS);
        run.clean(sub, ended);
        run.nothingLeft();
    }
}
