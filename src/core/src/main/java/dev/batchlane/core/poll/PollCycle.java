package dev.batchlane.core.poll;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStore;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/** What one cycle reads once however many of its shards need it: the job records. */
final class PollCycle {
    private final JobStore store;

    private final ConcurrentHashMap<String, CompletableFuture<Optional<Job>>> jobs =
            new ConcurrentHashMap<>();

    /** Admission pools that refused a shard this cycle: later shards of them wait behind it. */
    final Set<String> blockedPools = ConcurrentHashMap.newKeySet();

    PollCycle(JobStore store) {
        this.store = store;
    }

    Optional<Job> job(String jobId) {
        CompletableFuture<Optional<Job>> mine = new CompletableFuture<>();
        CompletableFuture<Optional<Job>> first = jobs.putIfAbsent(jobId, mine);
        if (first == null) {
            try {
                mine.complete(store.job(jobId));
            } catch (RuntimeException e) {
                mine.completeExceptionally(e);
            }
            first = mine;
        }
        try {
            return first.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }
}
