package dev.batchlane.local;

import static dev.batchlane.local.Cli.home;
import static dev.batchlane.local.Cli.out;

import dev.batchlane.aws.dynamo.DynamoJobStore;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import dev.batchlane.core.job.Shard;
import dev.batchlane.core.job.ShardResult;
import dev.batchlane.core.job.ShardStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** Follows a job on the stack until it ends or cannot progress, drawing its progress. */
final class JobFollower {
    private JobFollower() {}

    /**
     * A job that will not end by itself; the message names the job, the step, the reason and the
     * logs.
     */
    static final class CannotProgress extends RuntimeException {
        CannotProgress(String jobId, String step, String reason) {
            super(
                    "job "
                            + jobId
                            + " cannot progress: step "
                            + step
                            + ": "
                            + reason
                            + "\n  logs: "
                            + home().resolve(".batchlane/logs").resolve(step + ".log")
                            + " (all functions: "
                            + home().resolve(".batchlane/logs")
                            + ")");
        }
    }

    /**
     * What following a job reads: the store, the job's raw item (for progress attributes) and the
     * stack's own record of failures.
     */
    interface JobSource {
        Optional<Job> job(String jobId);

        List<Shard> shards(String jobId);

        Map<String, String> stuckShards(String jobId);

        /**
         * Bytes validated and shards staged so far ({@code progressBytes}, {@code progressShards},
         * {@code totalBytes}).
         */
        Map<String, Long> progress(String jobId);

        /** Why the job cannot progress, when the stack knows (its ingest failed every attempt). */
        Optional<String> failure(String jobId);

        static JobSource of(
                DynamoJobStore jobs,
                DynamoDbClient dynamo,
                String table,
                java.util.function.Function<String, Optional<String>> failures) {
            return new JobSource() {
                public Optional<Job> job(String jobId) {
                    return jobs.job(jobId);
                }

                public List<Shard> shards(String jobId) {
                    return jobs.shards(jobId);
                }

                public Map<String, String> stuckShards(String jobId) {
                    return jobs.stuckShards(jobId);
                }

                public Map<String, Long> progress(String jobId) {
                    return progressOf(jobs, jobId);
                }

                public Optional<String> failure(String jobId) {
                    return failures.apply(jobId);
                }
            };
        }
    }

    /**
     * What ingest recorded beside the job while its pass runs (the job record is written after it).
     */
    static Map<String, Long> progressOf(DynamoJobStore jobs, String jobId) {
        return jobs.ingestProgress(jobId)
                .<Map<String, Long>>map(
                        p ->
                                Map.of(
                                        "progressBytes",
                                        p.bytesRead(),
                                        "progressShards",
                                        (long) p.shardsStaged(),
                                        "totalBytes",
                                        p.totalBytes()))
                .orElse(Map.of());
    }

    /** Follows the job until it ends (no failure record, no stall detection beyond the timeout). */
    static Job follow(DynamoJobStore jobs, String jobId, Duration timeout)
            throws InterruptedException {
        return follow(
                JobSource.of(jobs, null, Stack.TABLE, id -> Optional.empty()),
                jobId,
                timeout,
                timeout);
    }

    /**
     * Follows the job until it ends, drawing a live bar on a terminal and plain lines otherwise.
     * Throws {@link CannotProgress} when it never will: its ingest failed every attempt, shards
     * were flagged stuck, nothing visible changed for {@code stallTimeout}, or {@code timeout}
     * passed.
     */
    static Job follow(JobSource source, String jobId, Duration timeout, Duration stallTimeout)
            throws InterruptedException {
        boolean tty = System.console() != null;
        Instant start = Instant.now();
        Instant deadline = start.plus(timeout);
        String last = "";
        Instant lastChange = start;
        while (true) {
            Job job = source.job(jobId).orElse(null);
            if (job != null
                    && (job.status() == JobStatus.COMPLETED
                            || job.status() == JobStatus.REJECTED)) {
                if (tty) {
                    out().println();
                }
                return job;
            }
            List<Shard> shards = job == null ? List.of() : source.shards(jobId);
            Optional<String> failed = source.failure(jobId);
            if (failed.isPresent()) {
                endLine(tty);
                throw new CannotProgress(
                        jobId,
                        failed.get().startsWith("IAM: ") ? failed.get().split(" ")[1] : "ingest",
                        failed.get());
            }
            if (job != null) {
                Map<String, String> stuck = source.stuckShards(jobId);
                if (!stuck.isEmpty()) {
                    endLine(tty);
                    throw new CannotProgress(
                            jobId, stuckStep(stuck, shards), "shards flagged stuck: " + stuck);
                }
            }
            String line =
                    job == null
                            ? "ingesting" + ingestProgress(null, source.progress(jobId))
                            : progress(job, shards, tty)
                                    + ingestProgress(job, source.progress(jobId));
            Instant now = Instant.now();
            if (!line.equals(last)) {
                lastChange = now;
                if (!tty) {
                    out().println(line);
                }
            }
            if (tty) {
                out().print("\r" + line + "   ");
                out().flush();
            }
            last = line;
            if (!now.isBefore(deadline)) {
                endLine(tty);
                throw new CannotProgress(
                        jobId,
                        step(job, shards),
                        "did not finish within " + timeout + " (--timeout)");
            }
            if (Duration.between(lastChange, now).compareTo(stallTimeout) >= 0) {
                endLine(tty);
                throw new CannotProgress(
                        jobId,
                        step(job, shards),
                        "no progress for "
                                + stallTimeout
                                + " (still: "
                                + line
                                + "); raise --stall-timeout or BATCHLANE_STALL_TIMEOUT if the provider is"
                                + " just slow");
            }
            Thread.sleep(500);
        }
    }

    private static void endLine(boolean tty) {
        if (tty) {
            out().println();
        }
    }

    /** The function that would move the job on next. */
    static String step(Job job, List<Shard> shards) {
        if (job == null || job.status() == JobStatus.INGESTING) {
            return "ingest";
        }
        boolean allEnded =
                !shards.isEmpty()
                        && shards.stream()
                                .allMatch(
                                        s ->
                                                s.status() == ShardStatus.ENDED
                                                        || s.status() == ShardStatus.COMPLETED);
        return allEnded ? "complete" : "poll";
    }

    static String stuckStep(Map<String, String> stuck, List<Shard> shards) {
        boolean ended =
                shards.stream()
                        .anyMatch(
                                s ->
                                        s.status() == ShardStatus.ENDED
                                                && stuck.containsKey(Shard.partName(s.index())));
        return ended ? "complete" : "poll";
    }

    /**
     * "; 12.5 MB validated of 40.0 MB, 3 shards staged" while ingesting (job null: its record is
     * not written yet), from what the core recorded; nothing when absent.
     */
    static String ingestProgress(Job job, Map<String, Long> progress) {
        if ((job != null && job.status() != JobStatus.INGESTING) || progress.isEmpty()) {
            return job == null ? "…" : "";
        }
        StringBuilder sb = new StringBuilder();
        Long bytes = progress.get("progressBytes");
        if (bytes != null) {
            Long total = progress.get("totalBytes");
            sb.append(String.format(java.util.Locale.ROOT, "; %.1f MB validated", bytes / 1e6));
            if (total != null && total > 0) {
                sb.append(String.format(java.util.Locale.ROOT, " of %.1f MB", total / 1e6));
            }
        }
        Long staged = progress.get("progressShards");
        if (staged != null) {
            sb.append(sb.length() == 0 ? "; " : ", ")
                    .append(staged)
                    .append(staged == 1 ? " shard" : " shards")
                    .append(" staged");
        }
        return sb.toString();
    }

    static String progress(Job job, List<Shard> shards, boolean bar) {
        long submitted =
                shards.stream()
                        .filter(
                                s ->
                                        s.status() != ShardStatus.STAGED
                                                && s.status() != ShardStatus.SUBMITTING)
                        .count();
        long ended =
                shards.stream()
                        .filter(
                                s ->
                                        s.status() == ShardStatus.ENDED
                                                || s.status() == ShardStatus.COMPLETED)
                        .count();
        long inProgress = submitted - ended;
        long succeeded = 0;
        long failed = 0;
        for (Shard s : shards) {
            ShardResult r = s.result();
            if (r != null) {
                succeeded += r.succeeded();
                failed += r.total() - r.succeeded();
            } else {
                // not joined yet: the provider's own counters say how far the batch got
                succeeded += s.batch().providerCounts().completed();
                failed += s.batch().providerCounts().failed();
            }
        }
        int total = Math.max(1, shards.size());
        String text =
                String.format(
                        "%s: shards %d submitted / %d in progress / %d ended of %d; requests %d succeeded / %d failed of %d",
                        job.status().name().toLowerCase(),
                        submitted,
                        inProgress,
                        ended,
                        shards.size(),
                        succeeded,
                        failed,
                        job.requestCount());
        // Shards held back by the admission budget or the provider's queue limit, and how long.
        java.time.Instant now = java.time.Instant.now();
        long waiting = shards.stream().filter(s -> s.queueWait().since() != null).count();
        java.time.Duration waited =
                shards.stream()
                        .map(s -> s.queueWait().total(now))
                        .reduce(java.time.Duration.ZERO, java.time.Duration::plus);
        if (waiting > 0 || !waited.isZero()) {
            text +=
                    String.format(
                            "; %d waiting for the provider's queue, %ds waited in all",
                            waiting, waited.toSeconds());
        }
        if (!bar) {
            return text;
        }
        int width = 24;
        int filled = (int) (width * ended / total);
        return "[" + "#".repeat(filled) + "-".repeat(width - filled) + "] " + text;
    }
}
