package dev.batchlane.simulator.openai;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which service the simulator plays. They share OpenAI's Files + Batch wire and differ in the
 * places listed here, each as the vendor documents it; everything else (statuses, result files,
 * faults) is the OpenAI simulator's.
 */
public enum Dialect {
    /** OpenAI itself, under {@code /v1}. */
    OPENAI(
            "/v1",
            "batch",
            false,
            50_000,
            200,
            List.of(
                    ResponseSynthesizer.RESPONSES,
                    ResponseSynthesizer.CHAT,
                    ResponseSynthesizer.EMBEDDINGS,
                    ResponseSynthesizer.COMPLETIONS,
                    ResponseSynthesizer.MODERATIONS,
                    ResponseSynthesizer.IMAGE_GENERATIONS,
                    ResponseSynthesizer.IMAGE_EDITS,
                    ResponseSynthesizer.VIDEOS),
            0),
    /**
     * Azure OpenAI under {@code /openai/v1} (and the dated {@code /openai/...?api-version=}
     * surface): an {@code api-key} header or an Entra bearer token; 100,000 requests per file; line
     * urls with or without {@code /v1}; input-file {@code expires_after} of 14 to 30 days; jobs are
     * not expired when 24 h pass; a completed batch always has an error file, empty when nothing
     * failed.
     */
    AZURE(
            "/openai/v1",
            "batch",
            false,
            100_000,
            200,
            List.of(
                    "/chat/completions",
                    "/v1/chat/completions",
                    "/responses",
                    "/v1/responses",
                    "/embeddings",
                    "/v1/embeddings"),
            0),
    /**
     * Groq under {@code /openai/v1}: OpenAI's lines for chat and audio; completion windows from 24h
     * to 7d.
     */
    GROQ(
            "/openai/v1",
            "batch",
            false,
            50_000,
            200,
            List.of(ResponseSynthesizer.CHAT, "/v1/audio/transcriptions", "/v1/audio/translations"),
            0),
    /**
     * Together AI: lines {@code {"custom_id", "body"}} with ids of at most 64 characters, purpose
     * {@code batch-api}, 50,000 requests and 100 MB per file, upper-case statuses, a create answer
     * of {@code {"job", "warning"}} and no metadata.
     */
    TOGETHER("/v1", "batch-api", true, 50_000, 100, List.of(ResponseSynthesizer.CHAT), 64),
    /**
     * Mistral: OpenAI's Files API, but batches are jobs under {@code /v1/batch/jobs} with their own
     * fields and statuses; lines {@code {"custom_id", "body"}}; up to 1,000,000 requests per job.
     */
    MISTRAL(
            "/v1",
            "batch",
            true,
            1_000_000,
            512,
            List.of(ResponseSynthesizer.CHAT, ResponseSynthesizer.EMBEDDINGS),
            0);

    private final String prefix;
    private final String purpose;
    private final boolean bodyOnlyLines;
    private final int maxRequests;
    private final long maxFileBytes;
    private final List<String> endpoints;
    private final int maxCustomIdChars;

    Dialect(
            String prefix,
            String purpose,
            boolean bodyOnlyLines,
            int maxRequests,
            int maxFileMegabytes,
            List<String> endpoints,
            int maxCustomIdChars) {
        this.prefix = prefix;
        this.purpose = purpose;
        this.bodyOnlyLines = bodyOnlyLines;
        this.maxRequests = maxRequests;
        // Vendors state file limits in decimal megabytes; 200 MB is 200,000,000 bytes.
        this.maxFileBytes = maxFileMegabytes * 1_000_000L;
        this.endpoints = endpoints;
        this.maxCustomIdChars = maxCustomIdChars;
    }

    /** The path every API route sits under, e.g. {@code /v1}. */
    public String prefix() {
        return prefix;
    }

    String purpose() {
        return purpose;
    }

    /** Lines carry only custom_id and body; the batch names the endpoint. */
    boolean bodyOnlyLines() {
        return bodyOnlyLines;
    }

    public int maxRequests() {
        return maxRequests;
    }

    public long maxFileBytes() {
        return maxFileBytes;
    }

    List<String> endpoints() {
        return endpoints;
    }

    int maxCustomIdChars() {
        return maxCustomIdChars;
    }

    /**
     * The endpoint's OpenAI name, which picks the synthesized answer ({@code /chat/completions} →
     * {@code /v1/...}).
     */
    static String canonical(String endpoint) {
        return endpoint.startsWith("/v1/") ? endpoint : "/v1" + endpoint;
    }

    /**
     * Whether a batch still running when its 24 h window closes is expired (Azure lets it run on).
     */
    boolean expiresAtWindowEnd() {
        return this != AZURE;
    }

    /** Whether a completed batch publishes an error file even when no line failed (Azure does). */
    boolean alwaysPublishesErrorFile() {
        return this == AZURE;
    }

    /** The {@code completion_window} values a create call may carry. */
    Set<String> completionWindows() {
        return this == GROQ ? Set.of("24h", "48h", "72h", "4d", "5d", "6d", "7d") : Set.of("24h");
    }

    /** The fields a create call may carry; Together refuses metadata. */
    Set<String> createFields() {
        return this == TOGETHER
                ? Set.of("input_file_id", "endpoint", "completion_window", "priority", "model_id")
                : Set.of(
                        "input_file_id",
                        "endpoint",
                        "completion_window",
                        "metadata",
                        "output_expires_after");
    }

    /** The least and most seconds of an input file's {@code expires_after}. */
    long[] inputExpiryRange() {
        return this == AZURE ? new long[] {1_209_600, 2_592_000} : new long[] {3_600, 2_592_000};
    }

    /** A status as this vendor spells it. */
    String status(BatchStatus status) {
        return this == TOGETHER ? status.wire().toUpperCase(Locale.ROOT) : status.wire();
    }

    /** The longest a Groq window may be; others have 24 h. */
    static Duration window(String completionWindow) {
        if (completionWindow.endsWith("h")) {
            return Duration.ofHours(
                    Long.parseLong(completionWindow.substring(0, completionWindow.length() - 1)));
        }
        return Duration.ofDays(
                Long.parseLong(completionWindow.substring(0, completionWindow.length() - 1)));
    }
}
