package dev.batchlane.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.aws.LocalAws;
import dev.batchlane.aws.dynamo.DynamoJobStore;
import dev.batchlane.aws.dynamo.TableSetup;
import dev.batchlane.aws.s3.S3ObjectStore;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.money.Money;
import dev.batchlane.emulators.DynamoDbLocalServer;
import dev.batchlane.emulators.S3MockServer;
import dev.batchlane.provider.anthropic.AnthropicConfig;
import dev.batchlane.provider.anthropic.AnthropicProvider;
import dev.batchlane.provider.openai.OpenAiConfig;
import dev.batchlane.provider.openai.OpenAiProvider;
import dev.batchlane.simulator.anthropic.AnthropicSimulator;
import dev.batchlane.simulator.openai.OpenAiSimulator;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * Ingest's rules where they meet S3's real behaviour — versioned keys, one file name under two
 * providers — on S3Mock, DynamoDB Local and both simulators.
 */
class IngestRulesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BUCKET = "rules";
    private static final String TABLE = "rules";
    private static DynamoDbLocalServer dynamoServer;
    private static S3MockServer s3Server;
    private static OpenAiSimulator openai;
    private static AnthropicSimulator anthropic;
    private static S3Client s3;
    private static DynamoJobStore jobs;
    private static S3ObjectStore objects;
    private static IngestService ingest;
    private static dev.batchlane.core.poll.PollService poll;
    private static dev.batchlane.core.complete.CompleteService complete;

    @BeforeAll
    static void start() throws IOException {
        dynamoServer = DynamoDbLocalServer.start();
        s3Server = S3MockServer.start(BUCKET);
        s3 = LocalAws.s3(s3Server.endpoint());
        s3.putBucketVersioning(
                b ->
                        b.bucket(BUCKET)
                                .versioningConfiguration(
                                        v -> v.status(BucketVersioningStatus.ENABLED)));
        DynamoDbClient dynamo = LocalAws.dynamo(dynamoServer.endpoint());
        TableSetup.create(dynamo, TABLE);
        jobs = new DynamoJobStore(dynamo, TABLE);
        objects = new S3ObjectStore(s3, BUCKET);
        openai = OpenAiSimulator.builder().stepDuration(Duration.ZERO).seed(11).start();
        anthropic = AnthropicSimulator.builder().stepDuration(Duration.ZERO).seed(11).start();
        LaneSettings settings =
                new LaneSettings(
                        IngestLimits.NO_CAP,
                        Duration.ZERO,
                        Duration.ZERO,
                        500,
                        Files.createTempDirectory("rules-"),
                        Money.defaults(),
                        2);
        Providers providers =
                new Providers(
                        List.of(
                                new OpenAiProvider(
                                        new OpenAiConfig(
                                                URI.create(openai.baseUrl()),
                                                "sk-rules",
                                                Duration.ofSeconds(30)),
                                        HttpClient.newHttpClient()),
                                new AnthropicProvider(
                                        new AnthropicConfig(
                                                URI.create(anthropic.baseUrl()),
                                                "sk-ant-rules",
                                                null,
                                                Duration.ofSeconds(30)),
                                        HttpClient.newHttpClient())));
        ingest = new IngestService(jobs, objects, providers, settings, Clock.systemUTC());
        poll =
                new dev.batchlane.core.poll.PollService(
                        jobs, objects, providers, settings, Clock.systemUTC());
        complete =
                new dev.batchlane.core.complete.CompleteService(
                        jobs, objects, providers, settings, Clock.systemUTC());
    }

    @AfterAll
    static void stop() {
        openai.close();
        anthropic.close();
        s3Server.close();
        dynamoServer.close();
    }

    private static final String OPENAI_BAD =
            "{\"custom_id\":\"a\",\"method\":\"GET\",\"url\":\"/v1/chat/completions\","
                    + "\"body\":{\"model\":\"gpt-4o-mini\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}}\n";
    private static final String ANTHROPIC_BAD =
            "{\"custom_id\":\"a\",\"params\":{\"model\":\"claude-haiku-4-5\","
                    + "\"max_tokens\":0,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}}\n";

    /**
     * The same file name dropped under two providers, and a key overwritten with another bad
     * version: every rejection keeps its own report and error list, each naming its own input.
     */
    @Test
    void rejections_ofOneNameUnderTwoProviders_andOfTwoVersionsOfOneKey_neverOverwriteEachOther()
            throws IOException {
        var underOpenAi = ingest.ingest(put("inbox/openai/same-name.jsonl", OPENAI_BAD, Map.of()));
        var underAnthropic =
                ingest.ingest(put("inbox/anthropic/same-name.jsonl", ANTHROPIC_BAD, Map.of()));
        var second =
                ingest.ingest(
                        put("inbox/openai/same-name.jsonl", OPENAI_BAD + "{not json\n", Map.of()));

        assertThat(List.of(underOpenAi, underAnthropic, second))
                .extracting(IngestService.Ingestion::outcome)
                .containsOnly(IngestService.Outcome.REJECTED);
        assertThat(List.of(underOpenAi.jobId(), underAnthropic.jobId(), second.jobId()))
                .doesNotHaveDuplicates();
        JsonNode first = report("openai", underOpenAi.jobId());
        JsonNode other = report("anthropic", underAnthropic.jobId());
        JsonNode newer = report("openai", second.jobId());
        assertThat(first.get("violationsByCode").has("method_invalid")).isTrue();
        assertThat(first.get("violations").asInt()).isEqualTo(1);
        assertThat(other.get("violationsByCode").has("max_tokens_invalid")).isTrue();
        assertThat(newer.get("violations").asInt()).isEqualTo(2);
        assertThat(first.get("errors").asText())
                .isEqualTo(Keys.rejectedErrors("openai", "same-name", underOpenAi.jobId()));
        assertThat(text(first.get("errors").asText()))
                .contains("method_invalid")
                .doesNotContain("invalid_json");
        assertThat(text(newer.get("errors").asText())).contains("invalid_json");
        assertThat(jobs.job(underOpenAi.jobId()).orElseThrow().resultKey())
                .isEqualTo(Keys.rejectedReport("openai", "same-name", underOpenAi.jobId()));
    }

    /**
     * The event names a version; by the time ingest reads it, the key may hold a newer one with
     * another budget. The budget is the one of the bytes being ingested.
     */
    @Test
    void budget_isReadFromTheVersionTheEventNamed_notFromWhatTheKeyHoldsNow() throws IOException {
        String key = "inbox/openai/versioned-budget.jsonl";
        String file =
                "{\"custom_id\":\"v-1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                        + "\"body\":{\"model\":\"gpt-4o-mini\",\"max_tokens\":100000,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"x\"}]}}\n";
        var generous = put(key, file, Map.of("budget-usd", "1000"));
        var stingy = put(key, file, Map.of("budget-usd", "0.000001"));
        assertThat(generous.versionId())
                .as("S3Mock keeps versions")
                .isNotNull()
                .isNotEqualTo(stingy.versionId());

        var first = ingest.ingest(generous);
        var second = ingest.ingest(stingy);

        assertThat(first.outcome()).isEqualTo(IngestService.Outcome.ACCEPTED);
        assertThat(jobs.job(first.jobId()).orElseThrow().budgetUsd()).isEqualTo("1000");
        assertThat(second.outcome()).isEqualTo(IngestService.Outcome.REJECTED);
        assertThat(text(Keys.rejectedReport("openai", "versioned-budget", second.jobId())))
                .contains("over_budget");
    }

    /**
     * Anthropic takes several models in one batch. Each model's tokens are billed at its own price:
     * a file of Opus and Haiku requests does not cost what it would all on Haiku.
     */
    @Test
    void fileWithSeveralModels_isBilledPerModel_inTheManifest() throws IOException {
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            String model = i % 2 == 0 ? "claude-haiku-4-5" : "claude-opus-4-1";
            file.append("{\"custom_id\":\"m-")
                    .append(i)
                    .append("\",\"params\":{\"model\":\"")
                    .append(model)
                    .append(
                            "\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"case ")
                    .append(i)
                    .append("\"}]}}\n");
        }
        var accepted =
                ingest.ingest(put("inbox/anthropic/two-models.jsonl", file.toString(), Map.of()));
        assertThat(accepted.outcome()).isEqualTo(IngestService.Outcome.ACCEPTED);
        String jobId = accepted.jobId();

        for (int tick = 0;
                tick < 50
                        && jobs.job(jobId).orElseThrow().status()
                                != dev.batchlane.core.job.JobStatus.COMPLETED;
                tick++) {
            poll.pollDue();
            for (var shard : jobs.shards(jobId)) {
                if (shard.status() == dev.batchlane.core.job.ShardStatus.ENDED) {
                    complete.complete(jobId, shard.index());
                }
            }
        }
        JsonNode manifest = JSON.readTree(text(Keys.manifest(jobId)));

        var prices = Money.defaults().prices();
        JsonNode byModel = manifest.at("/cost/byModel");
        assertThat(byModel.has("claude-haiku-4-5")).isTrue();
        assertThat(byModel.has("claude-opus-4-1")).isTrue();
        java.math.BigDecimal expected = java.math.BigDecimal.ZERO;
        for (String model : List.of("claude-haiku-4-5", "claude-opus-4-1")) {
            JsonNode u = byModel.get(model).get("usage");
            var usage =
                    new dev.batchlane.core.provider.Usage(
                            u.get("inputTokens").asLong(),
                            u.get("cachedInputTokens").asLong(),
                            u.get("outputTokens").asLong());
            assertThat(usage.totalTokens()).isPositive();
            var own = prices.find("anthropic", model).orElseThrow().batch().cost(usage);
            assertThat(byModel.get(model).get("batchUsd").decimalValue()).isEqualByComparingTo(own);
            expected = expected.add(own);
        }
        assertThat(manifest.at("/cost/batchUsd").decimalValue()).isEqualByComparingTo(expected);
        assertThat(manifest.at("/cost/warning").isMissingNode()).isTrue();
    }

    private static JsonNode report(String provider, String jobId) throws IOException {
        return JSON.readTree(text(Keys.rejectedReport(provider, "same-name", jobId)));
    }

    /**
     * Puts {@code file} at {@code key}; returns the reference its S3 event would carry, version
     * included.
     */
    static IngestService.ObjectRef put(String key, String file, Map<String, String> metadata) {
        PutObjectResponse r =
                s3.putObject(
                        b -> b.bucket(BUCKET).key(key).metadata(metadata),
                        RequestBody.fromString(file));
        return new IngestService.ObjectRef(
                BUCKET, key, r.versionId(), r.eTag(), file.getBytes(StandardCharsets.UTF_8).length);
    }

    static String text(String key) {
        return s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asString(StandardCharsets.UTF_8);
    }
}
