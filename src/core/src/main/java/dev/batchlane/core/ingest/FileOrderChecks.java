package dev.batchlane.core.ingest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.money.TokenEstimate;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The sequential half of a pass, on the reading thread, in file order: what a worker cannot decide
 * alone (id uniqueness, the provider's per-file rules, the tallies by code and model), the progress
 * reports and the deadline, and what goes to the {@link ShardCutter}. Line numbers and "duplicate
 * of line N" are therefore exactly what a one-thread pass gives.
 */
final class FileOrderChecks {
    private final RequestContract contract;
    private final IngestLimits limits;
    private final long defaultMaxOutputTokens;
    private final IngestPass.Options options;
    private final Consumer<Violation> allViolations;
    private final IngestPass.Progress progress;
    private final FileValidator.CountingStream counted;
    private final ShardCutter cutter;
    private final RequestContract.FileRules rules;
    private final QueueLimits queueLimits;
    private long queueLimit = -1;
    private String queueModel;
    private final IdRegistry ids = new IdRegistry();
    private final Map<String, Long> byCode = new TreeMap<>();
    private final Map<String, TokenEstimate> estimates = new TreeMap<>();
    private final List<Violation> sample = new ArrayList<>();
    private long count;
    private long requests;
    private long lastLine;
    private Instant nextReport;

    /**
     * {@code allViolations} receives every violation in line order; {@code counted} is the stream
     * the reader reads, for the byte position in progress reports and errors.
     */
    FileOrderChecks(
            RequestContract contract,
            IngestLimits limits,
            long defaultMaxOutputTokens,
            IngestPass.Options options,
            Consumer<Violation> allViolations,
            IngestPass.Progress progress,
            FileValidator.CountingStream counted,
            ShardCutter cutter,
            QueueLimits queueLimits) {
        this.contract = contract;
        this.limits = limits;
        this.defaultMaxOutputTokens = defaultMaxOutputTokens;
        this.options = options;
        this.allViolations = allViolations;
        this.progress = progress;
        this.counted = counted;
        this.cutter = cutter;
        this.queueLimits = queueLimits;
        this.rules = contract.startFile();
        this.nextReport = options.clock().instant().plus(options.progressEvery());
    }

    /** Counts a violation; the first one stops staging, since the file is rejected whole. */
    private void add(Violation v) {
        count++;
        byCode.merge(v.code(), 1L, Long::sum);
        if (sample.size() < limits.maxReportedErrors()) {
            sample.add(v);
        }
        allViolations.accept(v);
        if (cutter.staging()) {
            // The file is rejected: nothing more is staged, and what was staged is the caller's
            // to remove.
            cutter.stop();
        }
    }

    /**
     * Checks the parsed lines of the next chunk in file order, then reports progress when due and
     * stops the pass when the invocation has no time left for it.
     */
    void merge(LineChunk c) throws IOException {
        for (int i = 0; i < c.count; i++) {
            mergeLine(c, i, c.firstLine + i);
        }
        Instant now = options.clock().instant();
        if (!now.isBefore(nextReport)) {
            nextReport = now.plus(options.progressEvery());
            progress.report(counted.count, cutter.stagedCount());
        }
        if (!options.deadline().allows(options.clock(), options.deadlineMargin())) {
            throw new IngestPass.OutOfTime(
                    "the invocation's time ran out at byte "
                            + counted.count
                            + " (line "
                            + lastLine
                            + "): the pass could not finish; give ingest more memory (Lambda adds vCPUs with it)"
                            + " or split the file");
        }
    }

    private void mergeLine(LineChunk c, int i, long number) throws IOException {
        lastLine = number;
        ParsedLine p = c.parsed[i];
        switch (p.kind()) {
            case OVERSIZED -> {
                add(
                        new Violation(
                                number,
                                null,
                                "line_too_long",
                                "line "
                                        + number
                                        + " is "
                                        + c.original[i]
                                        + " bytes; the limit is "
                                        + limits.maxLineBytes()
                                        + " bytes per line"));
                return;
            }
            case BLANK -> {
                return; // tolerated: blank lines carry no request and are dropped when staging
            }
            case BAD_UTF8 -> {
                add(
                        new Violation(
                                number,
                                null,
                                "invalid_utf8",
                                "line " + number + " is not valid UTF-8 text"));
                return;
            }
            case BAD_JSON -> {
                add(
                        new Violation(
                                number,
                                null,
                                p.jsonCode(),
                                "line "
                                        + number
                                        + " is not one valid JSON value"
                                        + (c.terminated[i] ? "" : " (the file may be truncated)")
                                        + ": "
                                        + p.jsonMessage()));
                return;
            }
            case NOT_OBJECT -> {
                requests++;
                add(
                        new Violation(
                                number,
                                null,
                                "not_an_object",
                                "line "
                                        + number
                                        + " must be a JSON object, found "
                                        + FileValidator.kind(p.node())));
                return;
            }
            case OBJECT -> {
                requests++;
                checkRequest(c, i, number, p);
            }
        }
    }

    /**
     * A line that is a JSON object: its id and the provider's rules; counted and staged if it broke
     * none.
     */
    private void checkRequest(LineChunk c, int i, long number, ParsedLine p) throws IOException {
        ObjectNode object = (ObjectNode) p.node();
        long before = count;
        String customId = FileValidator.checkId(contract.idField(), number, object, ids, this::add);
        rules.check(number, customId, object, this::add);
        if (count == before && p.inputs() > limits.maxInputsPerShard()) {
            add(
                    new Violation(
                            number,
                            customId,
                            "too_many_inputs",
                            "line "
                                    + number
                                    + " holds "
                                    + p.inputs()
                                    + " inputs; a batch takes at most "
                                    + limits.maxInputsPerShard()
                                    + ", so this request cannot be sent; split its input"));
        }
        if (count != before) {
            return;
        }
        TokenEstimate one =
                p.tokens() != null
                        ? p.tokens()
                        : new TokenEstimate(
                                1,
                                rules.inputTokens(object),
                                rules.maxOutputTokens(object, defaultMaxOutputTokens));
        String lineModel = p.tokens() != null ? p.model() : rules.modelOf(object);
        String model = String.valueOf(lineModel);
        if (queueLimit < 0) {
            // The job's admission pool is its first valid line's model (the model every contract
            // reports for the file), so that model's queue limit holds for every shard. Looked up
            // once: it may come from the store (what the provider stated).
            queueModel = model;
            queueLimit = queueLimits.tokensFor(lineModel);
        }
        if (one.inputTokens() > queueLimit) {
            add(
                    new Violation(
                            number,
                            customId,
                            "exceeds_queue_limit",
                            "line "
                                    + number
                                    + " is estimated at "
                                    + one.inputTokens()
                                    + " input tokens, over the "
                                    + queueLimit
                                    + " tokens the provider queues at once for model "
                                    + queueModel
                                    + ", so this request can never be queued; shorten it or"
                                    + " raise the queue limit"));
            return;
        }
        estimates.merge(model, one, TokenEstimate::plus);
        if (cutter.staging()) {
            cutter.add(c.data, c.start[i], c.length[i], p.inputs(), model, one, queueLimit);
        }
    }

    /**
     * The file has ended: the provider's whole-file rules, the empty file, and what the pass found.
     */
    FileValidator.Validation end(String sha256) {
        long lastLine = this.lastLine;
        if (requests > 0) {
            rules.finish(requests, this::add);
        }
        if (requests == 0 && count == 0) {
            add(
                    new Violation(
                            0,
                            null,
                            "empty_file",
                            "the file holds no requests"
                                    + (lastLine == 0
                                            ? ""
                                            : " (only " + lastLine + " blank line(s))")));
        }
        return new FileValidator.Validation(
                lastLine,
                requests,
                counted.count,
                sha256,
                count,
                byCode,
                List.copyOf(sample),
                rules.endpoint(),
                rules.model(),
                estimates);
    }
}
