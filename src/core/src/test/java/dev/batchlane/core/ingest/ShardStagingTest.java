package dev.batchlane.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.storage.ObjectStore;
import dev.batchlane.core.testkit.InMemoryObjectStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ShardStagingTest {

    private static void stage(ShardStaging staging, int index, String line) throws IOException {
        try (ObjectStore.Upload up = staging.open(index)) {
            up.write(line.getBytes(StandardCharsets.UTF_8));
            up.complete();
        }
        staging.staged(new IngestPass.StagedShard(index, 1, line.length()));
    }

    @Test
    void removeAll_removesThisAttemptsFiles_andLeavesAnotherAttemptsOfTheSameJob()
            throws Exception {
        InMemoryObjectStore objects = new InMemoryObjectStore();
        ShardStaging earlier = new ShardStaging(objects, "job-1", "a1");
        ShardStaging rejected = new ShardStaging(objects, "job-1", "b2");
        stage(earlier, 1, "{\"x\":1}\n");
        stage(rejected, 1, "{\"x\":1}\n");
        stage(rejected, 2, "{\"x\":2}\n");

        rejected.removeAll();

        assertThat(objects.list("staging/")).containsExactly(earlier.key(1));
        assertThat(rejected.shards())
                .extracting(IngestPass.StagedShard::index)
                .containsExactly(1, 2);
    }

    @Test
    void remove_aFileThatCannotBeDeleted_isLeftToTheLifecycleRule_withoutFailingTheAttempt()
            throws Exception {
        InMemoryObjectStore objects =
                new InMemoryObjectStore() {
                    @Override
                    public synchronized void delete(String key) {
                        throw new IllegalStateException("access denied");
                    }
                };
        ShardStaging staging = new ShardStaging(objects, "job-1", "a1");
        stage(staging, 1, "{}\n");

        staging.removeAll();

        assertThat(objects.list("staging/")).containsExactly(staging.key(1));
    }
}
