package dev.batchlane.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.core.ingest.IngestLimits;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What sets one service that speaks OpenAI's Files + Batch wire apart from OpenAI itself: its name
 * (the inbox prefix), how the key is sent, the query every call carries, the purpose uploads use,
 * the shape of an input line, the endpoints it batches, its per-file limits and the few places
 * where its answers are shaped differently. {@link OpenAiProvider} reads these and nothing else, so
 * a vendor that differs only here is configuration, not code.
 *
 * @param name the provider name used in inbox prefixes, records and the price table
 * @param auth how the key travels
 * @param apiVersion sent as {@code ?api-version=} on every call when not null (Azure's dated
 *     surface)
 * @param filePurpose the {@code purpose} form field of an upload
 * @param lineFormat which fields an input line has
 * @param endpoints the endpoints a batch may target; for {@link LineFormat#BODY_ONLY} the first is
 *     the one every batch uses, since such lines do not name it
 * @param maxCustomIdChars the longest {@code custom_id} the vendor takes; 0 for no limit of its own
 * @param limits the vendor's per-file limits
 * @param inputFileExpiry sent as {@code expires_after} on upload when not null
 * @param sendsMetadata whether the create call carries the job's metadata (some vendors refuse it)
 * @param createdEnvelope the field of the create answer that holds the batch, null when the answer
 *     is the batch
 */
public record Vendor(
        String name,
        Auth auth,
        String apiVersion,
        String filePurpose,
        LineFormat lineFormat,
        List<String> endpoints,
        int maxCustomIdChars,
        IngestLimits limits,
        Duration inputFileExpiry,
        boolean sendsMetadata,
        String createdEnvelope) {

    /** How the key travels on each call. */
    public enum Auth {
        /**
         * {@code Authorization: Bearer <key>}: OpenAI, Groq, Together, Mistral, and Azure with an
         * Entra token.
         */
        BEARER,
        /** {@code api-key: <key>}: Azure OpenAI with a resource key. */
        API_KEY
    }

    /** Which fields an input line has. */
    public enum LineFormat {
        /** {@code {"custom_id", "method", "url", "body"}}, as OpenAI defines it. */
        OPENAI,
        /**
         * {@code {"custom_id", "body"}}: the endpoint is chosen for the whole batch, not per line.
         */
        BODY_ONLY
    }

    public Vendor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(filePurpose, "filePurpose");
        Objects.requireNonNull(lineFormat, "lineFormat");
        Objects.requireNonNull(limits, "limits");
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException(
                    "vendor " + name + " must batch at least one endpoint");
        }
        if (!name.matches("[a-z][a-z0-9-]*")) {
            throw new IllegalArgumentException(
                    "vendor name must be lower-case letters, digits and '-' (it is an "
                            + "inbox prefix), was '"
                            + name
                            + "'");
        }
        if (apiVersion != null && apiVersion.isBlank()) {
            apiVersion = null;
        }
    }

    /** OpenAI's own endpoints, in the order its spec lists them. */
    private static final List<String> OPENAI_ENDPOINTS = OpenAiContract.ENDPOINTS;

    /**
     * Decimal, as the vendors document their limits: a "200 MB" file is 200,000,000 bytes, and a
     * shard cut at 200 MiB would be 4.9% over it and refused.
     */
    private static final long MB = IngestLimits.MB;

    /**
     * OpenAI's Batch API limits: 50,000 requests and 50,000 inputs, 200 MB per input file, lines of
     * up to 10 MiB.
     */
    public static final IngestLimits OPENAI_LIMITS =
            new IngestLimits(50_000, 200 * MB, 10 * 1024 * 1024, 20, 50_000);

    public static final Vendor OPENAI =
            new Vendor(
                    "openai",
                    Auth.BEARER,
                    null,
                    "batch",
                    LineFormat.OPENAI,
                    OPENAI_ENDPOINTS,
                    0,
                    OPENAI_LIMITS,
                    Duration.ofSeconds(OpenAiProvider.INPUT_EXPIRES_AFTER_SECONDS),
                    true,
                    null);

    /**
     * Azure OpenAI: deployment names stand where OpenAI has model names, and a file may hold
     * 100,000 requests (200 MB). Input files are uploaded with the shortest expiry Azure allows (14
     * days): a resource holds only 500 input files without one, 10,000 with one, and Batchlane
     * deletes its files itself long before. Lines may name the endpoint with or without {@code
     * /v1}.
     *
     * @param apiVersion null for the v1 surface ({@code …/openai/v1}); a dated version such as
     *     {@code 2024-10-21} for the older surface ({@code …/openai} plus {@code ?api-version=})
     * @param auth {@link Auth#API_KEY} for a resource key, {@link Auth#BEARER} for an Entra token
     */
    public static Vendor azure(String apiVersion, Auth auth) {
        return new Vendor(
                "azure",
                auth,
                apiVersion,
                "batch",
                LineFormat.OPENAI,
                List.of(
                        "/chat/completions",
                        "/v1/chat/completions",
                        "/responses",
                        "/v1/responses",
                        "/embeddings",
                        "/v1/embeddings"),
                0,
                new IngestLimits(
                        100_000,
                        200 * MB,
                        OPENAI_LIMITS.maxLineBytes(),
                        OPENAI_LIMITS.maxReportedErrors()),
                AZURE_INPUT_EXPIRY,
                true,
                null);
    }

    /** Azure's shortest input-file expiry, 1,209,600 s; it accepts 14 to 30 days. */
    public static final Duration AZURE_INPUT_EXPIRY = Duration.ofDays(14);

    /**
     * Groq: OpenAI's wire and line format under {@code /openai/v1}, for chat and audio endpoints.
     */
    public static final Vendor GROQ =
            new Vendor(
                    "groq",
                    Auth.BEARER,
                    null,
                    "batch",
                    LineFormat.OPENAI,
                    List.of(
                            "/v1/chat/completions",
                            "/v1/audio/transcriptions",
                            "/v1/audio/translations"),
                    0,
                    OPENAI_LIMITS,
                    null,
                    true,
                    null);

    /**
     * Together AI: lines are {@code {"custom_id", "body"}} with ids of at most 64 characters,
     * uploads use purpose {@code batch-api}, a file holds at most 50,000 requests and 100 MB, the
     * create call answers {@code {"job": {...}, "warning": ...}} and takes no metadata, and
     * statuses are upper case.
     */
    public static final Vendor TOGETHER =
            new Vendor(
                    "together",
                    Auth.BEARER,
                    null,
                    "batch-api",
                    LineFormat.BODY_ONLY,
                    List.of("/v1/chat/completions"),
                    64,
                    new IngestLimits(
                            50_000,
                            100 * MB,
                            OPENAI_LIMITS.maxLineBytes(),
                            OPENAI_LIMITS.maxReportedErrors()),
                    null,
                    false,
                    "job");

    /**
     * Mistral's Files API, which {@link MistralProvider} uses for uploads, downloads and deletes;
     * its batch jobs are a different API. A job takes up to 1,000,000 requests; Batchlane keeps a
     * shard within 200 MB, since Mistral states its limit in requests only. Its lines do not name
     * an endpoint, so Batchlane runs them as chat completions (the other endpoints Mistral batches
     * would need a way to choose one per file).
     */
    public static final Vendor MISTRAL =
            new Vendor(
                    "mistral",
                    Auth.BEARER,
                    null,
                    "batch",
                    LineFormat.BODY_ONLY,
                    List.of("/v1/chat/completions"),
                    0,
                    new IngestLimits(
                            1_000_000,
                            200 * MB,
                            OPENAI_LIMITS.maxLineBytes(),
                            OPENAI_LIMITS.maxReportedErrors()),
                    null,
                    true,
                    null);

    /** The batch inside a create answer. */
    JsonNode createdBatch(JsonNode answer) {
        if (createdEnvelope == null) {
            return answer;
        }
        JsonNode inner = answer.get(createdEnvelope);
        return inner != null && inner.isObject() ? inner : answer;
    }

    /** A status as OpenAI spells it: Together sends the same names in upper case. */
    static String openAiStatus(String status) {
        return status == null ? null : status.toLowerCase(Locale.ROOT);
    }

    /** The header line for a key: name and value. */
    String[] authHeader(String key) {
        return switch (auth) {
            case BEARER -> new String[] {"Authorization", "Bearer " + key};
            case API_KEY -> new String[] {"api-key", key};
        };
    }
}
