package dev.batchlane.core.ingest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.money.Estimates;
import dev.batchlane.core.money.TokenEstimate;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Reads a whole JSONL file once, as a stream, and checks every line: the generic rules here
 * (UTF-8, one JSON object per line, size, id present and unique) and the provider's own through
 * its {@link RequestContract}. Memory holds one line and the id registry, never the file.
 */
public final class FileValidator {
    /** Deeper nesting than any real request needs; far below what would strain the parser's stack. */
    static final int MAX_NESTING_DEPTH = 128;

    private static final ObjectMapper LINE_MAPPER = lineMapper();

    /** Output tokens assumed for a request that sets no cap of its own. */
    public static final long DEFAULT_MAX_OUTPUT_TOKENS = 4096;

    private final RequestContract contract;
    private final IngestLimits limits;
    private final long defaultMaxOutputTokens;

    public FileValidator(RequestContract contract, IngestLimits limits) {
        this(contract, limits, DEFAULT_MAX_OUTPUT_TOKENS);
    }

    public FileValidator(RequestContract contract, IngestLimits limits, long defaultMaxOutputTokens) {
        this.contract = contract;
        this.limits = limits;
        this.defaultMaxOutputTokens = defaultMaxOutputTokens;
    }

    /** The outcome of one pass over a file. {@code sample} holds the first violations, for the report. */
    public record Result(long lines, long requests, long bytes, String sha256, long violationCount,
            Map<String, Long> violationsByCode, List<Violation> sample, String endpoint, String model,
            Map<String, TokenEstimate> estimates) {
        public boolean valid() {
            return violationCount == 0;
        }
    }

    /**
     * Validates {@code in}, passing every violation to {@code allViolations} as it is found (so the
     * caller can stream them to a file) and keeping only a sample in the result.
     */
    public Result validate(InputStream in, Consumer<Violation> allViolations) throws IOException {
        MessageDigest sha = sha256();
        DigestInputStream digest = new DigestInputStream(in, sha);
        CountingStream counted = new CountingStream(digest);
        LineReader reader = new LineReader(counted, limits.maxLineBytes());
        RequestContract.FileRules rules = contract.startFile();
        IdRegistry ids = new IdRegistry();
        Map<String, Long> byCode = new TreeMap<>();
        Map<String, TokenEstimate> estimates = new TreeMap<>();
        List<Violation> sample = new ArrayList<>();
        long[] count = {0};
        RequestContract.ViolationSink sink = v -> {
            count[0]++;
            byCode.merge(v.code(), 1L, Long::sum);
            if (sample.size() < limits.maxReportedErrors()) {
                sample.add(v);
            }
            allViolations.accept(v);
        };
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        long requests = 0;
        long lastLine = 0;
        LineReader.Line line;
        while ((line = reader.next()) != null) {
            lastLine = line.number();
            if (line.oversized()) {
                sink.add(new Violation(line.number(), null, "line_too_long", "line " + line.number() + " is "
                        + line.originalLength() + " bytes; the limit is " + limits.maxLineBytes() + " bytes per line"));
                continue;
            }
            if (line.blank()) {
                continue; // tolerated: blank lines carry no request and are dropped when staging
            }
            String text;
            try {
                text = utf8.reset().decode(ByteBuffer.wrap(line.bytes(), 0, line.length())).toString();
            } catch (CharacterCodingException e) {
                sink.add(new Violation(line.number(), null, "invalid_utf8",
                        "line " + line.number() + " is not valid UTF-8 text"));
                continue;
            }
            JsonNode node;
            try {
                node = LINE_MAPPER.readTree(text);
            } catch (JsonProcessingException e) {
                sink.add(new Violation(line.number(), null, jsonCode(e), "line " + line.number()
                        + " is not one valid JSON value" + (line.terminated() ? "" : " (the file may be truncated)")
                        + ": " + e.getOriginalMessage()));
                continue;
            }
            requests++;
            if (!(node instanceof ObjectNode object)) {
                sink.add(new Violation(line.number(), null, "not_an_object",
                        "line " + line.number() + " must be a JSON object, found " + kind(node)));
                continue;
            }
            long before = count[0];
            String customId = checkId(line.number(), object, ids, sink);
            rules.check(line.number(), customId, object, sink);
            if (count[0] == before) {
                TokenEstimate one = new TokenEstimate(1, rules.inputTokens(object),
                        Estimates.maxOutputTokens(rules.requestBody(object), defaultMaxOutputTokens));
                estimates.merge(String.valueOf(rules.modelOf(object)), one, TokenEstimate::plus);
            }
        }
        if (requests == 0 && count[0] == 0) {
            sink.add(new Violation(0, null, "empty_file", "the file holds no requests"
                    + (lastLine == 0 ? "" : " (only " + lastLine + " blank line(s))")));
        }
        return new Result(lastLine, requests, counted.count, HexFormat.of().formatHex(sha.digest()), count[0],
                byCode, List.copyOf(sample), rules.endpoint(), rules.model(), estimates);
    }

    private String checkId(long lineNumber, ObjectNode object, IdRegistry ids, RequestContract.ViolationSink sink) {
        String field = contract.idField();
        JsonNode id = object.get(field);
        if (id == null || id.isNull()) {
            sink.add(new Violation(lineNumber, null, "custom_id_missing",
                    "line " + lineNumber + " has no " + field + "; every request needs one to join its result"));
            return null;
        }
        if (!id.isTextual() || id.asText().isEmpty()) {
            sink.add(new Violation(lineNumber, null, "custom_id_invalid",
                    "line " + lineNumber + ": " + field + " must be a non-empty string, found " + kind(id)));
            return null;
        }
        String value = id.asText();
        long first = ids.putIfAbsent(value, lineNumber);
        if (first != 0) {
            sink.add(new Violation(lineNumber, value, "duplicate_custom_id", "line " + lineNumber + ": " + field
                    + " '" + value + "' is already used on line " + first + "; ids must be unique in a file"));
        }
        return value;
    }

    private static String jsonCode(JsonProcessingException e) {
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

    private static ObjectMapper lineMapper() {
        ObjectMapper mapper = new ObjectMapper();
        mapper.getFactory().setStreamReadConstraints(
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
