package dev.batchlane.faults;

import dev.batchlane.core.job.Shard;
import dev.batchlane.core.provider.BatchProvider;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One provider's simulator as the seeded fault suite drives it: its lines, its faults, and what it
 * must be left with once the lane is done. A seed's simulator serves only that seed's jobs, so
 * everything it holds belongs to them.
 */
interface Sim extends AutoCloseable {
    /** The provider's name: its inbox prefix. */
    String name();

    BatchProvider provider();

    /** The field of an input line that holds its id (the lane joins results by it). */
    default String idField() {
        return "custom_id";
    }

    /** Input line {@code i} with this custom_id, in the provider's format. */
    String line(String customId, int i);

    /** The object metadata a file for this provider is dropped with (its model, where needed). */
    default Map<String, String> metadata() {
        return Map.of();
    }

    /** Draws this seed's provider faults; returns a description for failure messages. */
    String injectFaults(Random r, List<String> ids, int shardSize);

    /**
     * Nothing left at the provider, and no shard's batch created twice.
     *
     * @param shards every shard of every job the seed made on this simulator
     */
    void assertClean(List<Shard> shards, String why);

    /**
     * Model calls the provider ran one request at a time, by custom_id, for the providers that run
     * small work on demand (each such call is billed): empty for the others.
     */
    default Map<String, Long> onDemandCalls() {
        return Map.of();
    }

    @Override
    void close();
}
