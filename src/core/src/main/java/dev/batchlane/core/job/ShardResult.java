package dev.batchlane.core.job;

import dev.batchlane.core.provider.Usage;

/**
 * What joining one shard produced: the outcome of every staged request written to its part, the
 * requests handed on to a child shard ({@code resubmitted}), and the usage billed. {@code
 * finalFailures} counts the requests whose input went to the failed list. {@code usageByModel}
 * splits the usage by the model the provider says answered (a file may mix models); usage of lines
 * that name no model is under the key {@code ""}, billed as the job's model. It is empty for shards
 * joined before it was recorded, whose usage is all the job's model's.
 */
public record ShardResult(
        long succeeded,
        long failed,
        long expired,
        long cancelled,
        long missing,
        long unknownResults,
        Usage usage,
        String partKey,
        long resubmitted,
        long finalFailures,
        java.util.Map<String, Usage> usageByModel) {

    public ShardResult {
        usageByModel =
                usageByModel == null ? java.util.Map.of() : java.util.Map.copyOf(usageByModel);
    }

    /** A result without a split by model: all of its usage is the job's model's. */
    public ShardResult(
            long succeeded,
            long failed,
            long expired,
            long cancelled,
            long missing,
            long unknownResults,
            Usage usage,
            String partKey,
            long resubmitted,
            long finalFailures) {
        this(
                succeeded,
                failed,
                expired,
                cancelled,
                missing,
                unknownResults,
                usage,
                partKey,
                resubmitted,
                finalFailures,
                java.util.Map.of());
    }

    /**
     * The usage per model, with lines that named none (and results recorded before the split) under
     * {@code jobModel}.
     */
    public java.util.Map<String, Usage> usageByModel(String jobModel) {
        String fallback = jobModel == null ? "" : jobModel;
        java.util.Map<String, Usage> out = new java.util.TreeMap<>();
        if (usageByModel.isEmpty()) {
            out.put(fallback, usage);
            return out;
        }
        usageByModel.forEach(
                (model, u) -> out.merge(model.isEmpty() ? fallback : model, u, Usage::plus));
        return out;
    }

    /** Requests that ended in this shard's part (resubmitted ones end in a later shard). */
    public long total() {
        return succeeded + failed + expired + cancelled + missing;
    }
}
