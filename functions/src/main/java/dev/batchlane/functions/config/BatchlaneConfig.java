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

    /**
     * The providers this deployment enabled, by catalogue name (BATCHLANE_PROVIDERS, set by the
     * construct); unset means every provider of the catalogue. Only these are built, each on its
     * first use, so a function reads only the key secrets of the providers its work is for.
     */
    Optional<java.util.List<String>> providers();

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

    Http http();

    /**
     * The HTTP client the providers share. Each provider's own settings live under {@code
     * batchlane.<provider>.} and are read by its registration (see the provider catalogue).
     */
    interface Http {
        /** How long opening a connection to a provider may take. */
        @WithDefault("PT60S")
        Duration connectTimeout();
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

        /** Set only to point at a local stand-in (the reply queues of queued requests). */
        Optional<URI> sqsEndpoint();
    }

    /**
     * The EventBridge bus for the completion event and for the answers of queued requests that name
     * no reply queue (BATCHLANE_EVENT_BUS, set on complete, poll and enqueue); none means no event.
     */
    Optional<String> eventBus();

    /**
     * Each queue's policy, one JSON object (BATCHLANE_QUEUES; see {@code QueuePolicies}); none
     * means every queue has the defaults. A bad value fails the start with the queue and key named.
     */
    Optional<String> queues();

    /**
     * How long the bucket keeps a staged shard before its lifecycle rule expires it
     * (BATCHLANE_STAGING_LIFETIME, e.g. P14D); poll refreshes the staged shards of jobs that live
     * that long. None means staged shards never expire, and nothing is refreshed.
     */
    Optional<Duration> stagingLifetime();

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
}
