package dev.batchlane.core.ingest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.money.TokenEstimate;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reads a whole JSONL file once, as a stream, and checks every line: the generic rules here (UTF-8,
 * one JSON object per line, size, id present and unique) and the provider's own through its {@link
 * RequestContract}. Memory holds one line and the id registry, never the file.
 */
public final class FileValidator {
    /**
     * Deeper nesting than any real request needs; far below what would strain the parser's stack.
     */
    static final int MAX_NESTING_DEPTH = 128;

    static final ObjectMapper LINE_MAPPER = lineMapper();

    /** Output tokens assumed for a request that sets no cap of its own. */
    public static final long DEFAULT_MAX_OUTPUT_TOKENS = 4096;

    private final RequestContract contract;
    private final IngestLimits limits;
    private final long defaultMaxOutputTokens;

    public FileValidator(RequestContract contract, IngestLimits limits) {
        this(contract, limits, DEFAULT_MAX_OUTPUT_TOKENS);
    }

    public FileValidator(
            RequestContract contract, IngestLimits limits, long defaultMaxOutputTokens) {
        this.contract = contract;
        this.limits = limits;
        this.defaultMaxOutputTokens = defaultMaxOutputTokens;
    }

    /**
     * The outcome of one pass over a file. {@code sample} holds the first violations, for the
     * report.
     */
    public record Validation(
            long lines,
            long requests,
            long bytes,
            String sha256,
            long violationCount,
            Map<String, Long> violationsByCode,
            List<Violation> sample,
            String endpoint,
            String model,
            Map<String, TokenEstimate> estimates) {
        public boolean valid() {
            return violationCount == 0;
        }
    }

    /**
     * Validates {@code in}, passing every violation to {@code allViolations} as it is found (so the
     * caller can stream them to a file) and keeping only a sample in the result. Lines are parsed
     * on every core; see {@link IngestPass}.
     */
    public Validation validate(InputStream in, Consumer<Violation> allViolations)
            throws IOException {
        return new IngestPass(
                        contract, limits, defaultMaxOutputTokens, IngestPass.Options.defaults())
                .run(in, allViolations, null, IngestPass.Progress.NONE)
                .checked();
    }

    static String checkId(
            String field,
            long lineNumber,
            ObjectNode object,
            IdRegistry ids,
            RequestContract.ViolationSink sink) {
        JsonNode id = object.get(field);
        if (id == null || id.isNull()) {
            sink.add(
                    new Violation(
                            lineNumber,
                            null,
                            "custom_id_missing",
                            "line "
                                    + lineNumber
                                    + " has no "
                                    + field
                                    + "; every request needs one to join its result"));
            return null;
        }
        if (!id.isTextual() || id.asText().isEmpty()) {
            sink.add(
                    new Violation(
                            lineNumber,
                            null,
                            "custom_id_invalid",
                            "line "
                                    + lineNumber
                                    + ": "
                                    + field
                                    + " must be a non-empty string, found "
                                    + kind(id)));
            return null;
        }
        String value = id.asText();
        long first = ids.putIfAbsent(value, lineNumber);
        if (first != 0) {
            sink.add(
                    new Violation(
                            lineNumber,
                            value,
                            "duplicate_custom_id",
                            "line "
                                    + lineNumber
                                    + ": "
                                    + field
                                    + " '"
                                    + value
                                    + "' is already used on line "
                                    + first
                                    + "; ids must be unique in a file"));
        }
        return value;
    }

    static String jsonCode(JsonProcessingException e) {
        String message = String.valueOf(e.getOriginalMessage());
        if (message.startsWith("Duplicate field")) {
            return "duplicate_field";
        }
        if (message.contains("nesting depth")) {
            return "nesting_too_deep";
        }
        return "invalid_json";
    }

    static String kind(JsonNode node) {
        if (node.isTextual()) {
            return "a string";
        }
        if (node.isNumber()) {
            return "a number";
        }
        if (node.isBoolean()) {
            return "a boolean";
        }
        if (node.isArray()) {
            return "an array";
        }
        if (node.isNull()) {
            return "null";
        }
        return "an object";
    }

    static ObjectMapper lineMapper() {
        ObjectMapper mapper = new ObjectMapper();
        mapper.getFactory()
                .setStreamReadConstraints(
                        StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build());
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        return mapper;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    }

    static final class CountingStream extends java.io.FilterInputStream {
        long count;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
