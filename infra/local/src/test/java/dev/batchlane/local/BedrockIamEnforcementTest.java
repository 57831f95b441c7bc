package dev.batchlane.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * The local stack under a template whose functions may not pass the Bedrock service role ({@code
 * iam:PassRole} taken out). On AWS every CreateModelInvocationJob would then fail with
 * AccessDenied; here the enforcement refuses it the same way, and the stack names the function, the
 * action and the resource, so the run stops at the missing grant instead of going on.
 */
class BedrockIamEnforcementTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Stack stack;
    private static final List<String> log = new ArrayList<>();

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        // Shards of up to 1,000 records: the file's 150 make one batch job, above Bedrock's
        // minimum.
        stack = IamEnforcementTest.startUnder(withoutAction(dir, "iam:PassRole"), 1000, log);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** The synthesized template with {@code action} taken out of every function's policy. */
    static Path withoutAction(Path dir, String action) throws Exception {
        ObjectNode t = (ObjectNode) JSON.readTree(LaneTemplateTest.TEMPLATE.toFile());
        int removed = 0;
        for (JsonNode r : t.path("Resources")) {
            if (!"AWS::IAM::Policy".equals(r.path("Type").asText())) {
                continue;
            }
            ArrayNode statements = (ArrayNode) r.at("/Properties/PolicyDocument/Statement");
            for (int i = statements.size() - 1; i >= 0; i--) {
                ObjectNode s = (ObjectNode) statements.get(i);
                JsonNode actions = s.path("Action");
                if (actions.isTextual() && actions.asText().equals(action)) {
                    statements.remove(i);
                    removed++;
                } else if (actions.isArray()) {
                    ArrayNode kept = JSON.createArrayNode();
                    actions.forEach(
                            a -> {
                                if (!a.asText().equals(action)) {
                                    kept.add(a);
                                }
                            });
                    if (kept.size() < actions.size()) {
                        removed++;
                        s.set("Action", kept);
                    }
                }
            }
        }
        assertThat(removed).as("statements granting %s in the template", action).isPositive();
        Path copy = dir.resolve("without-" + action.replace(':', '-') + ".json");
        JSON.writeValue(copy.toFile(), t);
        return copy;
    }

    @Test
    void withoutPassRole_theFirstBatchJobIsDenied_andTheStackNamesFunctionActionAndResource(
            @TempDir Path tmp) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 150; i++) {
            sb.append("{\"recordId\":\"p")
                    .append(i)
                    .append("\",\"modelInput\":{\"anthropic_version\":")
                    .append(
                            "\"bedrock-2023-05-31\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"n")
                    .append(i)
                    .append("\"}]}}\n");
        }
        Path file = tmp.resolve("no-pass-role.jsonl");
        Files.writeString(file, sb);
        Drop drop = Drop.put(stack.s3(), file, "bedrock", null);

        Optional<EnforcingProxy.Observation> denial = Optional.empty();
        Instant giveUp = Instant.now().plus(Duration.ofMinutes(3));
        while (denial.isEmpty() && Instant.now().isBefore(giveUp)) {
            Thread.sleep(200);
            denial = stack.iam().denials().stream().findFirst();
        }
        String role = stack.roles().role("ingest").environment().get("BATCHLANE_BEDROCK_ROLE_ARN");
        assertThat(denial).as("the denial for job %s; log: %s", drop.jobId(), log).isPresent();
        assertThat(denial.get().function()).isEqualTo("ingest");
        assertThat(denial.get().action()).isEqualTo("iam:PassRole");
        assertThat(denial.get().resource()).isEqualTo(role).contains(":role/");
        // The model and the job were allowed first: only the missing grant is refused.
        assertThat(stack.iam().observations())
                .anyMatch(
                        o ->
                                o.function().equals("ingest")
                                        && !o.denied()
                                        && o.action().equals("bedrock:CreateModelInvocationJob"));
        synchronized (log) {
            assertThat(log)
                    .anyMatch(l -> l.startsWith("IAM: ingest was denied iam:PassRole on " + role));
        }
        assertThat(stack.failure(drop.jobId()))
                .hasValueSatisfying(
                        f ->
                                assertThat(f)
                                        .startsWith(
                                                "IAM: ingest was denied iam:PassRole on " + role));
        // The function met it as Bedrock's answer, parsed by the SDK (AccessDeniedException, 403):
        // a refusal of the lane's credentials, so the shard waits for the grant to be fixed
        // rather than ending for good, and its trouble keeps the message that names the action
        // and the role.
        Path ingestLog = stack.process("ingest").log();
        Instant until = Instant.now().plus(Duration.ofSeconds(30));
        while (!Files.readString(ingestLog).contains("403 AccessDeniedException")
                && Instant.now().isBefore(until)) {
            Thread.sleep(200);
        }
        assertThat(Files.readString(ingestLog))
                .contains(
                        "the provider refused the lane's credentials (403 AccessDeniedException)");
        assertThat(stack.jobs().shards(drop.jobId()))
                .anySatisfy(
                        s ->
                                assertThat(s.trouble().lastError())
                                        .contains(
                                                "is not authorized to perform: iam:PassRole on resource: "
                                                        + role));
    }
}
