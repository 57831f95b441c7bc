package dev.batchlane.core.ingest;

import dev.batchlane.core.money.TokenEstimate;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks one request on its own, as it arrives in a queue, by exactly the rules a file's line is
 * checked by (the same parser, the same per-line checks, the same messages): a queued request is
 * answered at once with the rule it broke instead of poisoning the batch it would have joined.
 * Rules about a file as a whole (a provider's minimum per job) do not apply to one request; the
 * flush that gathers requests into a file meets them, or waits.
 */
public final class RequestCheck {
    private final RequestContract contract;
    private final IngestLimits limits;
    private final long defaultMaxOutputTokens;
    private final QueueLimits queueLimits;

    public RequestCheck(RequestContract contract, IngestLimits limits, QueueLimits queueLimits) {
        this.contract = contract;
        this.limits = limits;
        this.defaultMaxOutputTokens = FileValidator.DEFAULT_MAX_OUTPUT_TOKENS;
        this.queueLimits = queueLimits;
    }

    /**
     * What one request is: its id, model and endpoint and its token estimate when valid, else the
     * rules it broke (each naming {@code lineNumber}: the line of a queue file, 1 for a message).
     */
    public record Checked(
            String id,
            String model,
            String endpoint,
            TokenEstimate estimate,
            List<Violation> violations) {
        public boolean valid() {
            return violations.isEmpty();
        }
    }

    public Checked check(byte[] line, long lineNumber) {
        List<Violation> all = new ArrayList<>();
        FileOrderChecks inOrder =
                new FileOrderChecks(
                        contract,
                        limits,
                        defaultMaxOutputTokens,
                        IngestPass.Options.defaults().withParallelism(1),
                        all::add,
                        IngestPass.Progress.NONE,
                        new FileValidator.CountingStream(new ByteArrayInputStream(new byte[0])),
                        new ShardCutter(null, limits, null),
                        queueLimits);
        LineChunk chunk = new LineChunk(lineNumber);
        chunk.add(asLine(line, lineNumber));
        new LineParser(contract, defaultMaxOutputTokens).parseAll(chunk);
        try {
            inOrder.merge(chunk);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        FileValidator.Validation v = inOrder.end("");
        // A whole-file rule (line 0) speaks of a file of one request, which this is not.
        List<Violation> ofTheRequest = all.stream().filter(x -> x.line() != 0).toList();
        if (v.requests() == 0 && ofTheRequest.isEmpty()) {
            ofTheRequest =
                    List.of(
                            new Violation(
                                    lineNumber,
                                    null,
                                    "empty_request",
                                    "line " + lineNumber + " is blank; it holds no request"));
        }
        String id = idOf(line);
        TokenEstimate estimate =
                v.estimates().values().stream().reduce(TokenEstimate::plus).orElse(null);
        return new Checked(id, v.model(), v.endpoint(), estimate, ofTheRequest);
    }

    /** The field that names a request of this provider, e.g. {@code custom_id}. */
    public String idField() {
        return contract.idField();
    }

    private String idOf(byte[] line) {
        try {
            var node = FileValidator.LINE_MAPPER.readTree(line);
            var id = node == null ? null : node.get(contract.idField());
            return id != null && id.isTextual() && !id.asText().isEmpty() ? id.asText() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private LineReader.Line asLine(byte[] line, long number) {
        int length = line.length;
        while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r')) {
            length--;
        }
        boolean oversized = length > limits.maxLineBytes();
        return new LineReader.Line(number, line, oversized ? 0 : length, length, oversized, true);
    }

    /** For tests and tools: a request given as text. */
    public Checked check(String line) {
        return check(line.getBytes(StandardCharsets.UTF_8), 1);
    }
}
