package dev.batchlane.conformance;

import dev.batchlane.core.provider.BatchProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The promises every provider adapter keeps, run against its simulator. An adapter module extends
 * this once and says how to reach its simulator ({@link #target}); each test gets a fresh target.
 *
 * <p>The tests call the adapter the way the lane's submitter does: a creating call whose answer may
 * have taken effect is followed by {@link BatchProvider#findCreated} with the attempt the lane
 * would have written, then by adopting what was found or making the call again. What they check is
 * at the provider: how many batches and files it made, and what it still holds after cleanup.
 *
 * <p>The checks come in groups, one interface each ({@link LostAnswerChecks}, {@link NotNowChecks},
 * {@link EndingChecks}, {@link ResultChecks}, {@link CleanupAndLimitChecks}); this class runs them
 * all, so an adapter cannot leave a group out, and the test names stay those of the adapter's one
 * test class.
 */
public abstract class ProviderConformance
        implements LostAnswerChecks,
                NotNowChecks,
                EndingChecks,
                ResultChecks,
                CleanupAndLimitChecks {
    /** A fresh adapter and simulator for one test. */
    protected abstract ConformanceTarget target();

    /** The number of requests in each test shard: small, so a run takes seconds. */
    protected int shardSize() {
        return 6;
    }

    protected ConformanceTarget t;
    protected BatchProvider provider;
    private ConformanceRun run;

    @BeforeEach
    void openTarget() {
        t = target();
        provider = t.provider();
        run = new ConformanceRun(t, shardSize());
    }

    @AfterEach
    void closeTarget() {
        if (t != null) {
            t.close();
        }
    }

    /** The run of the current test, for the groups of checks. */
    @Override
    public final ConformanceRun run() {
        return run;
    }

    // ---- a lost creation meets another job, or a cancel (AcrossJobsChecks, which holds the
    // target itself: its checks make two jobs' batches on one simulator)

    @Test
    void anotherJobsBatchWithTheSameIds_isNeverAdopted() {
        new AcrossJobsChecks(t, shardSize()).anotherJobsBatchWithTheSameIds_isNeverAdopted();
    }

    @ParameterizedTest(name = "create answer lost as {0}, another job's batch beside it")
    @EnumSource(LostAnswer.class)
    void lostCreateAnswer_besideAnotherJobsBatchWithTheSameIds_adoptsItsOwn(LostAnswer how) {
        new AcrossJobsChecks(t, shardSize())
                .lostCreateAnswer_besideAnotherJobsBatchWithTheSameIds_adoptsItsOwn(how);
    }

    @Test
    void cancelDuringAnUnresolvedCreate_findsTheBatch_andStopsIt() {
        new AcrossJobsChecks(t, shardSize())
                .cancelDuringAnUnresolvedCreate_findsTheBatch_andStopsIt();
    }
}
