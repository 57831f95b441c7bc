package dev.batchlane.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.local.iam.DeployedRolesTest;
import dev.batchlane.local.iam.EnforcingProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local stack under a template whose ingest role may write staging/ but not read it — the grant
 * the lane once shipped without. Ingest's submission reads each staged shard, so the run meets
 * AccessDenied, and the stack says which function, action and resource.
 */
class IamEnforcementTest {
    private static Stack stack;
    private static final List<String> log = new ArrayList<>();

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        stack = startUnder(DeployedRolesTest.withoutIngestStagingRead(dir), 40, log);
    }

    /**
     * A local stack whose functions' calls are checked against the roles in {@code iamTemplate}.
     */
    static Stack startUnder(Path iamTemplate, int maxRequestsPerShard, List<String> log)
            throws java.io.IOException {
        Path home = Path.of("../..").toAbsolutePath().normalize();
        return Stack.start(
                Stack.Options.of(
                                home,
                                Duration.ofMillis(500),
                                maxRequestsPerShard,
                                line -> {
                                    synchronized (log) {
                                        log.add(line);
                                    }
                                })
                        .withIamTemplate(iamTemplate));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void ingestWithoutStagingRead_isDenied_andTheStackNamesFunctionActionAndResource(
            @TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("denied.jsonl");
        Files.writeString(
                file,
                "{\"custom_id\":\"d-1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                        + "\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}\n");
        Drop drop = Drop.put(stack.s3(), file, "openai", null);

        Optional<EnforcingProxy.Observation> denial = Optional.empty();
        Instant giveUp = Instant.now().plus(Duration.ofMinutes(3));
        while (denial.isEmpty() && Instant.now().isBefore(giveUp)) {
            Thread.sleep(200);
            denial =
                    stack.iam().denials().stream()
                            .filter(o -> o.function().equals("ingest"))
                            .findFirst();
        }
        assertThat(denial).as("ingest's denial for job %s; log: %s", drop.jobId(), log).isPresent();
        assertThat(denial.get().action()).isEqualTo("s3:GetObject");
        assertThat(denial.get().resource())
                .startsWith("arn:aws:s3:::" + Stack.BUCKET + "/staging/");
        synchronized (log) {
            assertThat(log)
                    .anyMatch(
                            l ->
                                    l.startsWith(
                                            "IAM: ingest was denied s3:GetObject on arn:aws:s3:::"
                                                    + Stack.BUCKET
                                                    + "/staging/"));
        }
        // The run stops at it: the job cannot progress, and says which call of which function.
        assertThat(stack.failure(drop.jobId()))
                .hasValueSatisfying(
                        f ->
                                assertThat(f)
                                        .startsWith(
                                                "IAM: ingest was denied s3:GetObject on arn:aws:s3:::"
                                                        + Stack.BUCKET
                                                        + "/staging/"));
        // The function met it as AWS's answer: the SDK's S3Exception (403), naming the action and
        // resource.
        Path ingestLog = stack.process("ingest").log();
        Instant until = Instant.now().plus(Duration.ofSeconds(30));
        while (!Files.readString(ingestLog).contains("not authorized")
                && Instant.now().isBefore(until)) {
            Thread.sleep(200);
        }
        assertThat(Files.readString(ingestLog))
                .contains(
                        "not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::"
                                + Stack.BUCKET
                                + "/staging/")
                .contains("(Service: S3, Status Code: 403");
    }
}
