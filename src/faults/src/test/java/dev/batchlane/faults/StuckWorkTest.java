package dev.batchlane.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.aws.LocalAws;
import dev.batchlane.aws.dynamo.DynamoJobStore;
import dev.batchlane.aws.dynamo.TableSetup;
import dev.batchlane.aws.s3.S3ObjectStore;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.job.ShardStatus;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.money.Money;
import dev.batchlane.core.poll.PollService;
import dev.batchlane.emulators.DynamoDbLocalServer;
import dev.batchlane.emulators.S3MockServer;
import dev.batchlane.provider.openai.OpenAiConfig;
import dev.batchlane.provider.openai.OpenAiProvider;
import dev.batchlane.simulator.MutableClock;
import dev.batchlane.simulator.openai.OpenAiSimulator;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Work that stops moving is flagged on its shard's own item, logged as an error and counted, and
 * the flag clears when the shard moves again — with time as a parameter.
 */
class StuckWorkTest {

    @Test
    void aBatchRunningPastItsWindow_andAnEndedShardNeverCompleted_areFlaggedCountedAndKeptInSight()
            throws Exception {
        try (DynamoDbLocalServer dynamoServer = DynamoDbLocalServer.start();
                S3MockServer s3Server = S3MockServer.start("stuck");
                OpenAiSimulator sim =
                        OpenAiSimulator.builder().stepDuration(Duration.ofDays(3)).start()) {
            S3Client s3 = LocalAws.s3(s3Server.endpoint());
            DynamoDbClient dynamo = LocalAws.dynamo(dynamoServer.endpoint());
            TableSetup.create(dynamo, "stuck");
            DynamoJobStore jobs = new DynamoJobStore(dynamo, "stuck");
            S3ObjectStore objects = new S3ObjectStore(s3, "stuck");
            MutableClock clock = new MutableClock(Instant.now());
            AtomicInteger stuckCount = new AtomicInteger();
            LaneMetrics metrics =
                    new LaneMetrics() {
                        @Override
                        public void shardStuck(String provider) {
                            stuckCount.incrementAndGet();
                        }
                    };
            LaneSettings settings =
                    new LaneSettings(
                            new IngestLimits(2, 1_000_000, 10_000, 5),
                            Duration.ofMinutes(1),
                            Duration.ofMinutes(30),
                            100,
                            Files.createTempDirectory("stuck-"),
                            Money.defaults(),
                            2,
                            Duration.ofHours(26),
                            Duration.ofMinutes(30));
            Providers providers =
                    new Providers(
                            List.of(
                                    new OpenAiProvider(
                                            new OpenAiConfig(
                                                    URI.create(sim.baseUrl()),
                                                    "sk-stuck",
                                                    Duration.ofSeconds(10)),
                                            HttpClient.newHttpClient())));
            IngestService ingest =
                    new IngestService(jobs, objects, providers, settings, clock, metrics);
            PollService poll = new PollService(jobs, objects, providers, settings, clock, metrics);
            String file =
                    "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"text-embedding-3-small\",\"input\":\"x\"}}\n";
            s3.putObject(
                    b -> b.bucket("stuck").key("inbox/openai/s.jsonl"),
                    RequestBody.fromString(file));
            String etag = s3.headObject(b -> b.bucket("stuck").key("inbox/openai/s.jsonl")).eTag();
            String jobId =
                    ingest.ingest(
                                    new IngestService.ObjectRef(
                                            "stuck", "inbox/openai/s.jsonl", null, etag, 0))
                            .jobId();

            clock.advance(Duration.ofHours(1));
            poll.pollDue();
            assertThat(jobs.stuckShards(jobId)).isEmpty();

            clock.advance(Duration.ofHours(26));
            poll.pollDue();
            assertThat(jobs.stuckShards(jobId)).containsOnlyKeys("00001");
            assertThat(jobs.stuckShards(jobId).get("00001")).contains("still validating");
            assertThat(stuckCount).hasValue(1);
            assertThat(jobs.shard(jobId, 1).orElseThrow().timeline().dueAt())
                    .as("still followed")
                    .isNotNull();

            // The batch ends, but no complete ever runs for it.
            sim.setStepDuration(Duration.ZERO);
            for (int i = 0;
                    i < 5 && jobs.shard(jobId, 1).orElseThrow().status() != ShardStatus.ENDED;
                    i++) {
                clock.advance(Duration.ofHours(1));
                poll.pollDue();
            }
            assertThat(jobs.shard(jobId, 1).orElseThrow().status()).isEqualTo(ShardStatus.ENDED);
            assertThat(jobs.stuckShards(jobId)).as("cleared when the batch moved on").isEmpty();
            int before = stuckCount.get();
            clock.advance(Duration.ofMinutes(31));
            poll.pollDue();
            assertThat(jobs.stuckShards(jobId).get("00001"))
                    .contains("not completed within")
                    .contains("handed to complete again");
            assertThat(stuckCount.get()).isEqualTo(before + 1);
            assertThat(jobs.shard(jobId, 1).orElseThrow().status())
                    .as("re-driven: ENDED again")
                    .isEqualTo(ShardStatus.ENDED);
            // A submitter that died between creating a shard's batch and recording it: poll finds
            // the
            // batch by its metadata and adopts it, rather than flag the shard or create a second
            // one.
            var provider = providers.get("openai");
            byte[] one = file.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            String upload =
                    provider.upload(
                            new dev.batchlane.core.provider.Payload(
                                    jobId + "-00007.jsonl",
                                    one.length,
                                    () -> new java.io.ByteArrayInputStream(one)));
            String made =
                    provider.create(
                                    upload,
                                    null,
                                    "/v1/embeddings",
                                    java.util.Map.of(
                                            "batchlane_job_id", jobId, "batchlane_shard", "00007"))
                            .batchId();
            dev.batchlane.core.job.Shard claimed =
                    dev.batchlane.core.job.Shard.staged(jobId, 7, "openai", "staging/x", 1, 1);
            jobs.createShard(claimed);
            claimed = jobs.shard(jobId, 7).orElseThrow();
            // the attempt's time is the simulator's (real) clock's: the lane's clock here runs days
            // ahead
            jobs.updateShard(
                    claimed,
                    claimed.withStatus(ShardStatus.SUBMITTING)
                            .withInputFile(upload, null)
                            .withAttempt(
                                    new dev.batchlane.core.job.CreationAttempt(
                                            dev.batchlane.core.job.CreationAttempt.Step.CREATE,
                                            Instant.now().minusSeconds(60)))
                            .withDue(clock.instant().plusSeconds(60)));
            int batchesBefore = sim.batches().size();
            clock.advance(Duration.ofMinutes(2));
            poll.pollDue();
            assertThat(jobs.shard(jobId, 7).orElseThrow().status())
                    .as("reconciled, not flagged")
                    .isEqualTo(ShardStatus.SUBMITTED);
            assertThat(jobs.shard(jobId, 7).orElseThrow().batch().batchId()).isEqualTo(made);
            assertThat(sim.batches()).as("no second batch").hasSize(batchesBefore);
            assertThat(jobs.stuckShards(jobId)).doesNotContainKey("00007");
            s3.close();
            dynamo.close();
        }
    }
}
