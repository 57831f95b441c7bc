package dev.batchlane.core.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.money.Estimates;

/**
 * A provider's rules for one input line. The generic parts (JSON, size, uniqueness of ids) live in
 * {@link FileValidator}; a contract adds only what is the provider's own.
 */
public interface RequestContract {

    /** The field that carries the request id, e.g. {@code custom_id}. */
    String idField();

    /**
     * Starts checking one file; rules such as "the same url on every line" need per-file memory.
     */
    FileRules startFile();

    /**
     * The contract for one file given its S3 object metadata, for providers whose per-file choices
     * (a model, a request format) ride as metadata rather than in the lines. Most ignore it.
     */
    default RequestContract forFile(java.util.Map<String, String> metadata) {
        return this;
    }

    /**
     * The number of requests below which a shard is not sent as one of the provider's batches but
     * run request by request, on demand, at the synchronous price (Bedrock below a model's minimum
     * records per job, where the file allows it); 0 when every shard runs as a batch. The budget
     * check prices such shards at the synchronous price.
     */
    default long onDemandBelow() {
        return 0;
    }

    interface FileRules {
        /** Checks one parsed line, reporting each broken rule to {@code out}. */
        void check(long lineNumber, String customId, ObjectNode line, ViolationSink out);

        /**
         * Called once after the last line with the number of valid requests, for rules about the
         * file as a whole (a provider's minimum per job); line number 0 names the file.
         */
        default void finish(long requests, ViolationSink out) {}

        /**
         * The endpoint every line targets, once the file has been read (null if none was valid).
         */
        String endpoint();

        /** The model every line uses, once the file has been read (null if none was valid). */
        String model();

        /** The request itself within a line, where the model and the output cap live. */
        default JsonNode requestBody(ObjectNode line) {
            return line;
        }

        /** The model one valid line runs on. */
        default String modelOf(ObjectNode line) {
            JsonNode model = requestBody(line).get("model");
            return model != null && model.isTextual() ? model.asText() : null;
        }

        /**
         * The output tokens one valid line may be billed for at most: its own cap, else {@code
         * fallback}. A provider that keeps the cap elsewhere than at the top of the request body
         * (Gemini's {@code generationConfig.maxOutputTokens}) says where.
         */
        default long maxOutputTokens(ObjectNode line, long fallback) {
            // The cap times the choices asked for (n, best_of): an upper bound, as the budget
            // needs.
            return Estimates.outputUpperBound(requestBody(line), fallback);
        }

        /**
         * The input tokens one valid line will be billed for, estimated. The default is the
         * documented approximation in {@link Estimates}; a provider with a public tokenizer counts.
         */
        default long inputTokens(ObjectNode line) {
            return Estimates.approximateTokens(requestBody(line));
        }

        /**
         * How many inputs one valid line counts against {@link IngestLimits#maxInputsPerShard}:
         * one, unless the provider counts parts of a request (OpenAI: each embedding input).
         */
        default long inputs(ObjectNode line) {
            return 1;
        }
    }

    @FunctionalInterface
    interface ViolationSink {
        void add(Violation violation);
    }
}
