package dev.batchlane.simulator.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A validated batch input file: where each request line lies in the file, so the lines can later be
 * read back one at a time in any order without keeping their text in memory.
 */
final class InputFile {
    /** OpenAI accepts at most 50,000 requests per batch (docs/providers.md). */
    static final int MAX_REQUESTS = 50_000;

    /** Enough errors to show a client what is wrong, without unbounded growth. */
    private static final int MAX_REPORTED_ERRORS = 1000;

    private final Path path;

    /** Filled in while validating: the model of the first line that names one. */
    private final String[] model;

    private final List<BatchError> errors;
    private long[] offsets = new long[64];
    private int[] lengths = new int[64];
    private int size;

    private InputFile(Path path, String[] model, List<BatchError> errors) {
        this.path = path;
        this.model = model;
        this.errors = errors;
    }

    /**
     * Reads the file line by line and checks each line the way OpenAI's validation step does: valid
     * JSON, the required fields, {@code url} equal to the batch endpoint, unique {@code custom_id},
     * and one model for the whole file. Blank lines are skipped.
     */
    static InputFile validate(Path path, String endpoint, ObjectMapper mapper) throws IOException {
        return validate(path, endpoint, mapper, Dialect.OPENAI);
    }

    /** As OpenAI does, with the vendor's line format, custom_id length and request limit. */
    static InputFile validate(Path path, String endpoint, ObjectMapper mapper, Dialect dialect)
            throws IOException {
        List<BatchError> errors = new ArrayList<>();
        Set<String> customIds = new HashSet<>();
        String[] model = {null};
        int[] requests = {0};
        InputFile file = new InputFile(path, model, errors);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path), 64 * 1024)) {
            forEachLine(
                    in,
                    (number, bytes, length, offset) -> {
                        requests[0]++;
                        BatchError error =
                                checkLine(
                                        mapper, bytes, length, number, endpoint, customIds, model,
                                        dialect);
                        if (error == null) {
                            file.add(offset, length);
                        } else if (errors.size() < MAX_REPORTED_ERRORS) {
                            errors.add(error);
                        }
                    });
        }
        if (requests[0] == 0) {
            errors.add(new BatchError("empty_file", "The batch input file is empty.", null, null));
        } else if (requests[0] > dialect.maxRequests()) {
            errors.add(
                    new BatchError(
                            "too_many_tasks",
                            "The batch input file contains "
                                    + requests[0]
                                    + " requests; a batch may contain at most "
                                    + dialect.maxRequests()
                                    + ".",
                            null,
                            null));
        }
        return file;
    }

    Path path() {
        return path;
    }

    String model() {
        return model[0];
    }

    List<BatchError> errors() {
        return List.copyOf(errors);
    }

    int size() {
        return size;
    }

    /** Reads request line {@code index} (0-based, in file order) back from disk. */
    byte[] line(FileChannel channel, int index) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(lengths[index]);
        long position = offsets[index];
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("input file " + path + " ended before line " + (index + 1));
            }
        }
        return buffer.array();
    }

    private void add(long offset, int length) {
        if (size == offsets.length) {
            offsets = Arrays.copyOf(offsets, size * 2);
            lengths = Arrays.copyOf(lengths, size * 2);
        }
        offsets[size] = offset;
        lengths[size] = length;
        size++;
    }

    private static BatchError checkLine(
            ObjectMapper mapper,
            byte[] bytes,
            int length,
            int number,
            String endpoint,
            Set<String> customIds,
            String[] model,
            Dialect dialect) {
        JsonNode line;
        try {
            line = mapper.readTree(bytes, 0, length);
        } catch (IOException e) {
            line = null;
        }
        if (line == null || !line.isObject()) {
            return new BatchError(
                    "invalid_json_line", "This line is not parseable as valid JSON.", null, number);
        }
        String[] required =
                dialect.bodyOnlyLines()
                        ? new String[] {"custom_id", "body"}
                        : new String[] {"custom_id", "method", "url", "body"};
        for (String field : required) {
            if (!line.hasNonNull(field)) {
                return new BatchError(
                        "missing_required_parameter",
                        "Missing required parameter: '" + field + "'.",
                        field,
                        number);
            }
        }
        if (dialect.bodyOnlyLines()) {
            for (java.util.Iterator<String> names = line.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!name.equals("custom_id") && !name.equals("body")) {
                    return new BatchError(
                            "invalid_value",
                            "Unrecognized field '"
                                    + name
                                    + "': a request line has only custom_id and body.",
                            name,
                            number);
                }
            }
        }
        if (!line.get("custom_id").isTextual()) {
            return new BatchError(
                    "invalid_value",
                    "Invalid value for 'custom_id': expected a string.",
                    "custom_id",
                    number);
        }
        String id = line.get("custom_id").asText();
        if (dialect.maxCustomIdChars() > 0
                && id.codePointCount(0, id.length()) > dialect.maxCustomIdChars()) {
            return new BatchError(
                    "invalid_value",
                    "Invalid value for 'custom_id': at most "
                            + dialect.maxCustomIdChars()
                            + " characters.",
                    "custom_id",
                    number);
        }
        if (!dialect.bodyOnlyLines() && !"POST".equals(line.get("method").asText())) {
            return new BatchError(
                    "invalid_value",
                    "Invalid value for 'method': only POST is supported.",
                    "method",
                    number);
        }
        // Lines of a body-only format do not name the endpoint; the batch does.
        if (!dialect.bodyOnlyLines() && !endpoint.equals(line.get("url").asText())) {
            return new BatchError(
                    "url_mismatch",
                    "The URL provided for this request ('"
                            + line.get("url").asText()
                            + "') does not match the batch endpoint ('"
                            + endpoint
                            + "').",
                    "url",
                    number);
        }
        if (!line.get("body").isObject()) {
            return new BatchError(
                    "invalid_value",
                    "Invalid value for 'body': expected an object.",
                    "body",
                    number);
        }
        if (!customIds.add(line.get("custom_id").asText())) {
            return new BatchError(
                    "duplicate_custom_id",
                    "The custom_id '"
                            + line.get("custom_id").asText()
                            + "' is a duplicate of another request; custom_id must be unique within a batch.",
                    "custom_id",
                    number);
        }
        JsonNode lineModel = line.get("body").get("model");
        if (lineModel != null && lineModel.isTextual()) {
            if (model[0] == null) {
                model[0] = lineModel.asText();
            } else if (!model[0].equals(lineModel.asText())) {
                return new BatchError(
                        "model_mismatch",
                        "The model '"
                                + lineModel.asText()
                                + "' differs from the model of the other requests ('"
                                + model[0]
                                + "'); a batch may use only one model.",
                        "body.model",
                        number);
            }
        }
        return null;
    }

    @FunctionalInterface
    private interface LineConsumer {
        void accept(int number, byte[] bytes, int length, long offset) throws IOException;
    }

    /**
     * Splits a stream into lines, reporting each non-blank line with its 1-based number and byte
     * offset. A trailing CR and a UTF-8 byte-order mark at the start of the file are not part of a
     * line.
     */
    private static void forEachLine(InputStream in, LineConsumer consumer) throws IOException {
        long position = skipByteOrderMark(in);
        byte[] buf = new byte[64 * 1024];
        byte[] line = new byte[1024];
        int length = 0;
        long lineStart = position;
        int number = 1;
        for (int n; (n = in.read(buf)) > 0; ) {
            for (int i = 0; i < n; i++, position++) {
                byte b = buf[i];
                if (b == '\n') {
                    emit(consumer, number++, line, length, lineStart);
                    length = 0;
                    lineStart = position + 1;
                    continue;
                }
                if (length == line.length) {
                    line = Arrays.copyOf(line, line.length * 2);
                }
                line[length++] = b;
            }
        }
        emit(consumer, number, line, length, lineStart);
    }

    /** Skips a UTF-8 byte-order mark (editors add one); returns how many bytes were skipped. */
    private static long skipByteOrderMark(InputStream in) throws IOException {
        in.mark(3);
        byte[] head = in.readNBytes(3);
        if (head.length == 3
                && head[0] == (byte) 0xEF
                && head[1] == (byte) 0xBB
                && head[2] == (byte) 0xBF) {
            return 3;
        }
        in.reset();
        return 0;
    }

    private static void emit(
            LineConsumer consumer, int number, byte[] line, int length, long offset)
            throws IOException {
        int end = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
        for (int i = 0; i < end; i++) {
            if (line[i] != ' ' && line[i] != '\t') {
                consumer.accept(number, line, end, offset);
                return;
            }
        }
    }
}
