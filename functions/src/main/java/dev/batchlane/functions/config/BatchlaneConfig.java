package dev.batchlane.functions.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/** Everything the functions read from configuration, in one typed place. */
@ConfigMapping(prefix = "batchlane")
public interface BatchlaneConfig {

    /** The bucket with inbox/, staging/, results/ and rejected/. */
    String bucket();

    /** The jobs-and-shards table. */
    String table();

    Aws aws();

    Shard shard();

    Ingest ingest();

    Poll poll();

    Admission admission();

    /** The admission budget: input tokens enqueued at a provider per model, before shards wait. */
    interface Admission {
        /**
         * Limits as pool=tokens pairs, a pool being provider/model or a provider alone, e.g. {@code
         * openai/gpt-4o-mini=2000000,anthropic=50000000}. A limit the provider states when it
         * refuses lowers these on its own.
         */
        Optional<java.util.List<String>> limits();

        /** For pools named nowhere: 0 means none configured (only a learned limit applies). */
        @WithDefault("0")
        long defaultLimit();
    }

    OpenAi openai();

    Anthropic anthropic();

    /**
     * Azure OpenAI Batch; registered only when {@link Azure#baseUrl()} is set, since it names a
     * resource.
     */
    Azure azure();

    /** Groq's OpenAI-compatible batch API. */
    Compatible groq();

    /** Together AI's batch API. */
    Compatible together();

    /** Mistral's batch jobs. */
    Compatible mistral();

    interface Azure {
        /**
         * The resource's API root: {@code https://{resource}.openai.azure.com/openai/v1} for the v1
         * surface, or {@code https://{resource}.openai.azure.com/openai} with {@link
         * #apiVersion()}.
         */
        Optional<URI> baseUrl();

        /**
         * A dated api-version such as {@code 2024-10-21}, sent on every call; none for the v1
         * surface.
         */
        Optional<String> apiVersion();

        /**
         * {@code api-key} (a resource key, sent as the api-key header) or {@code entra} (a bearer
         * token).
         */
        @WithDefault("api-key")
        String auth();

        /** For local runs only; deployed functions read the key from {@link #apiKeySecret()}. */
        Optional<String> apiKey();

        /** The Secrets Manager secret holding the key (BATCHLANE_AZURE_API_KEY_SECRET). */
        Optional<String> apiKeySecret();

        @WithDefault("PT60S")
        Duration timeout();
    }

    /**
     * A vendor on OpenAI's Files + Batch wire, or close to it; the base URL defaults to the
     * vendor's.
     */
    interface Compatible {
        /** The API base including {@code /v1}; the vendor's public one when unset. */
        Optional<URI> baseUrl();

        /** For local runs only; deployed functions read the key from {@link #apiKeySecret()}. */
        Optional<String> apiKey();

        /** The Secrets Manager secret holding the key (BATCHLANE_&lt;VENDOR&gt;_API_KEY_SECRET). */
        Optional<String> apiKeySecret();

        @WithDefault("PT60S")
        Duration timeout();
    }

    Bedrock bedrock();

    /**
     * Amazon Bedrock batch inference on this lane's own bucket (no key: the function's role and the
     * service role).
     */
    interface Bedrock {
        /**
         * The service role Bedrock assumes to read the input prefix and write the output prefix
         * (BATCHLANE_BEDROCK_ROLE_ARN).
         */
        Optional<String> roleArn();

        /** The model (or inference profile) of a file whose metadata names none. */
        Optional<String> defaultModel();

        @WithDefault("bedrock/input/")
        String inputPrefix();

        @WithDefault("bedrock/output/")
        String outputPrefix();

        /** timeoutDurationInHours of each job, 24 to 168. */
        @WithDefault("24")
        int timeoutHours();

        /** Records of a small shard run on demand per poll, so a poll invocation stays short. */
        @WithDefault("20")
        int onDemandRecordsPerPoll();

        /** Set only to point at a local simulator (control plane and runtime alike). */
        Optional<URI> endpoint();

        @WithDefault("PT60S")
        Duration timeout();

        Quotas quotas();

        /**
         * Bedrock's per-model quotas, as Service Quotas shows them for the account; the defaults
         * are the common values.
         */
        interface Quotas {
            @WithDefault("100")
            int minRecordsPerJob();

            @WithDefault("50000")
            int maxRecordsPerJob();

            @WithDefault("50000")
            int maxRecordsPerFile();

            @WithDefault("1073741824")
            long maxFileBytes();

            @WithDefault("5368709120")
            long maxJobBytes();

            @WithDefault("10")
            int maxConcurrentJobs();
        }
    }

    interface Anthropic {
        /** The API base without /v1, as the official SDKs read ANTHROPIC_BASE_URL. */
        @WithDefault("https://api.anthropic.com")
        URI baseUrl();

        /** For local runs only; deployed functions read the key from {@link #apiKeySecret()}. */
        Optional<String> apiKey();

        /** The Secrets Manager secret holding the key (BATCHLANE_ANTHROPIC_API_KEY_SECRET). */
        Optional<String> apiKeySecret();

        @WithDefault("2023-06-01")
        String version();

        @WithDefault("PT120S")
        Duration timeout();
    }

    Gemini gemini();

    interface Gemini {
        /** The API root without a version, as Google's SDKs read GOOGLE_GEMINI_BASE_URL. */
        @WithDefault("https://generativelanguage.googleapis.com")
        URI baseUrl();

        /** For local runs only; deployed functions read the key from {@link #apiKeySecret()}. */
        Optional<String> apiKey();

        /** The Secrets Manager secret holding the key (BATCHLANE_GEMINI_API_KEY_SECRET). */
        Optional<String> apiKeySecret();

        /** One call's limit; an upload is sent in chunks, so this bounds a chunk, not a shard. */
        @WithDefault("PT120S")
        Duration timeout();

        /**
         * Bytes per upload request (a multiple of 256 KiB): the most of a shard held in memory at
         * once.
         */
        @WithDefault("8388608")
        int uploadChunkBytes();
    }

    Pricing pricing();

    Retry retry();

    interface Retry {
        /**
         * How many times requests that failed for a passing reason (429, 5xx, expiry) are
         * resubmitted.
         */
        @WithDefault("2")
        int maxDepth();

        /**
         * Retries of one provider call within an invocation (429 and 5xx), before the call fails.
         */
        @WithDefault("3")
        int providerCallRetries();

        @WithDefault("PT0.5S")
        Duration providerCallFirstDelay();

        /** The longest single wait, Retry-After included; keeps a function within its timeout. */
        @WithDefault("PT20S")
        Duration providerCallMaxDelay();

        @WithDefault("PT0.2S")
        Duration providerCallJitter();
    }

    /** Where shards and parts are cut before upload; Lambda's /tmp by default. */
    @WithDefault("${java.io.tmpdir}")
    String tempDir();

    interface Aws {
        @WithDefault("us-east-1")
        String region();

        // S3 and DynamoDB endpoints are the extensions' own settings (quarkus.s3.endpoint-override,
        // quarkus.dynamodb.endpoint-override); these are for the clients built in Wiring.

        /** Set only to point at a local stand-in. */
        Optional<URI> secretsmanagerEndpoint();

        /** Set only to point at a local stand-in. */
        Optional<URI> eventsEndpoint();
    }

    /** The EventBridge bus for the completion event (BATCHLANE_EVENT_BUS); none means no event. */
    Optional<String> eventBus();

    /**
     * Caps on top of each provider's own limits (OpenAI 50,000 requests / 200 MB, Anthropic 100,000
     * / 256 MB).
     */
    interface Shard {
        Optional<Integer> maxRequests();

        Optional<Long> maxBytes();

        Optional<Integer> maxLineBytes();

        /** How many violations report.json lists in full (errors.jsonl lists them all). */
        @WithDefault("20")
        int reportedErrors();
    }

    /** How ingest spends an invocation. */
    interface Ingest {
        /** Threads parsing and counting lines; 0 means one per vCPU the function has. */
        @WithDefault("0")
        int parallelism();

        /**
         * Stop the pass this long before the invocation's deadline, with a clear error, rather than
         * be killed.
         */
        @WithDefault("PT20S")
        Duration passMargin();

        /**
         * Submit one more shard only with this much time left (an upload of up to a few hundred
         * MB).
         */
        @WithDefault("PT2M")
        Duration submitMargin();

        /** How often a long pass records its progress on the job. */
        @WithDefault("PT5S")
        Duration progressEvery();
    }

    interface Poll {
        @WithDefault("PT1M")
        Duration firstDelay();

        @WithDefault("PT30M")
        Duration maxDelay();

        /** Due shards handled per invocation; the rest wait for the next tick. */
        @WithDefault("200")
        int batchSize();

        /**
         * A batch still running this long after submission is flagged stuck (24 h window +
         * finalizing).
         */
        @WithDefault("PT26H")
        Duration stuckAfter();

        /** An ended shard not completed within this is flagged stuck. */
        @WithDefault("PT30M")
        Duration completeGrace();

        /** Due shards handled at once within a cycle (threads of a bounded pool). */
        @WithDefault("8")
        int parallelism();

        /**
         * No new shard is claimed with less than this left before the function's timeout: long
         * enough for one provider call with its retries, so what was claimed finishes inside the
         * invocation.
         */
        @WithDefault("PT30S")
        Duration claimMargin();

        /**
         * Held-back shards submitted per cycle at most: each submission uploads a shard of up to
         * 200 MB.
         */
        @WithDefault("20")
        int maxSubmissionsPerCycle();
    }

    interface Pricing {
        /**
         * A JSON file of the shipped prices.json shape whose rows replace or add to the shipped
         * table.
         */
        Optional<String> overrides();

        /**
         * Budgets for files that carry no x-amz-meta-budget-usd, as prefix=USD pairs, e.g. {@code
         * inbox/openai/nightly/=25,inbox/=500}; the longest matching prefix wins.
         */
        Optional<java.util.List<String>> defaultBudgets();

        /** Output tokens assumed for a request that sets no max_tokens (or equivalent). */
        @WithDefault("4096")
        long defaultMaxOutputTokens();
    }

    interface OpenAi {
        /** The API base including /v1, as the official SDKs read OPENAI_BASE_URL. */
        @WithDefault("https://api.openai.com/v1")
        URI baseUrl();

        /** For local runs only; deployed functions read the key from {@link #apiKeySecret()}. */
        Optional<String> apiKey();

        /**
         * The Secrets Manager secret (ARN or name) holding the key
         * (BATCHLANE_OPENAI_API_KEY_SECRET).
         */
        Optional<String> apiKeySecret();

        @WithDefault("PT60S")
        Duration timeout();
    }
}
