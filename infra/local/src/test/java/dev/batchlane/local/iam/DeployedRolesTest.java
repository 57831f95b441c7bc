package dev.batchlane.local.iam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The roles as the CDK app synthesizes them (infra/cdk's build writes the template), resolved to
 * local names.
 */
public class DeployedRolesTest {
    static final Path TEMPLATE = Path.of("../cdk/target/batchlane-template.json");
    static final DeployedRoles.LocalNames NAMES =
            new DeployedRoles.LocalNames(
                    "us-east-1",
                    "000000000000",
                    "batchlane-local",
                    "batchlane-jobs",
                    "arn:aws:dynamodb:us-east-1:000000000000:table/batchlane-jobs/stream/2026-01-01T00:00:00.000");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void synthesizedRoles_resolveToTheLocalNames_andGrantWhatEachFunctionNeeds() throws Exception {
        DeployedRoles roles = DeployedRoles.read(TEMPLATE, NAMES);
        assertThat(roles.roles()).containsOnlyKeys("complete", "ingest", "poll", "enqueue");
        // The queue lane: poll drops a flush's file under inbox/<provider>/queued/ only, enqueue
        // no inbox file at all; both answer to reply queues named batchlane-replies-*.
        assertThat(
                        allowed(
                                roles,
                                "poll",
                                "s3:PutObject",
                                "arn:aws:s3:::batchlane-local/inbox/openai/queued/t/f.jsonl"))
                .isTrue();
        assertThat(
                        allowed(
                                roles,
                                "poll",
                                "s3:PutObject",
                                "arn:aws:s3:::batchlane-local/inbox/openai/x.jsonl"))
                .isFalse();
        assertThat(
                        allowed(
                                roles,
                                "enqueue",
                                "s3:PutObject",
                                "arn:aws:s3:::batchlane-local/inbox/openai/queued/t/f.jsonl"))
                .isFalse();
        for (String fn : List.of("poll", "enqueue")) {
            assertThat(
                            allowed(
                                    roles,
                                    fn,
                                    "sqs:SendMessage",
                                    "arn:aws:sqs:us-east-1:000000000000:batchlane-replies-tickets"))
                    .as(fn)
                    .isTrue();
            assertThat(
                            allowed(
                                    roles,
                                    fn,
                                    "sqs:SendMessage",
                                    "arn:aws:sqs:us-east-1:000000000000:payroll"))
                    .as(fn)
                    .isFalse();
        }
        assertThat(roles.bucketKmsKey()).startsWith("arn:aws:kms:us-east-1:000000000000:key/");
        assertThat(
                        allowed(
                                roles,
                                "ingest",
                                "s3:GetObject",
                                "arn:aws:s3:::batchlane-local/staging/j/shard-00001.jsonl"))
                .isTrue();
        assertThat(
                        allowed(
                                roles,
                                "ingest",
                                "s3:PutObject",
                                "arn:aws:s3:::batchlane-local/results/j/x"))
                .isFalse();
        assertThat(allowed(roles, "poll", "dynamodb:Query", NAMES.tableArn() + "/index/due"))
                .isTrue();
        assertThat(allowed(roles, "ingest", "dynamodb:Query", NAMES.tableArn() + "/index/due"))
                .isFalse();
        assertThat(allowed(roles, "complete", "dynamodb:GetRecords", NAMES.streamArn())).isTrue();
        // The completion event only, under its own source.
        var event =
                AccessRequest.of(
                        "events:PutEvents",
                        "arn:aws:events:us-east-1:000000000000:event-bus/batchlane");
        assertThat(
                        decide(
                                        roles,
                                        "complete",
                                        event.with("events:source", "batchlane")
                                                .with(
                                                        "events:detail-type",
                                                        "Batchlane Job Completed"))
                                .allowed())
                .isTrue();
        assertThat(
                        decide(
                                        roles,
                                        "complete",
                                        event.with("events:source", "aws.s3")
                                                .with(
                                                        "events:detail-type",
                                                        "Batchlane Job Completed"))
                                .allowed())
                .isFalse();
        // KMS only through S3.
        var decrypt = AccessRequest.of("kms:Decrypt", roles.bucketKmsKey());
        assertThat(
                        decide(
                                        roles,
                                        "poll",
                                        decrypt.with(
                                                "kms:ViaService", "s3.us-east-1.amazonaws.com"))
                                .allowed())
                .isTrue();
        assertThat(decide(roles, "poll", decrypt).allowed()).isFalse();
        // The environment as the template sets it, resolved.
        assertThat(roles.role("complete").environment())
                .containsEntry("BATCHLANE_BUCKET", "batchlane-local")
                .containsEntry("BATCHLANE_TABLE", "batchlane-jobs")
                .containsEntry("BATCHLANE_EVENT_BUS", "batchlane");
        assertThat(roles.role("ingest").environment().get("BATCHLANE_OPENAI_API_KEY_SECRET"))
                .startsWith("arn:aws:secretsmanager:us-east-1:000000000000:secret:");
    }

    @Test
    void aTemplateWhoseIngestRoleLacksStagingReads_deniesThem(@TempDir Path dir) throws Exception {
        Path variant = withoutIngestStagingRead(dir);
        DeployedRoles roles = DeployedRoles.read(variant, NAMES);
        assertThat(
                        allowed(
                                roles,
                                "ingest",
                                "s3:GetObject",
                                "arn:aws:s3:::batchlane-local/staging/j/shard-00001.jsonl"))
                .isFalse();
        // the rest of the statement is untouched
        assertThat(
                        allowed(
                                roles,
                                "ingest",
                                "s3:DeleteObject",
                                "arn:aws:s3:::batchlane-local/staging/j/x"))
                .isTrue();
    }

    @Test
    void aManagedPolicyOnAFunctionsRole_isRefused_becauseItsTextIsNotInTheTemplate(
            @TempDir Path dir) throws Exception {
        ObjectNode t = (ObjectNode) JSON.readTree(TEMPLATE.toFile());
        for (JsonNode r : t.path("Resources")) {
            if ("AWS::IAM::Role".equals(r.path("Type").asText())) {
                ((ObjectNode) r.path("Properties"))
                        .putArray("ManagedPolicyArns")
                        .add("arn:aws:iam::aws:policy/Admin");
            }
        }
        Path copy = dir.resolve("managed.json");
        JSON.writeValue(copy.toFile(), t);
        assertThatThrownBy(() -> DeployedRoles.read(copy, NAMES))
                .hasMessageContaining("managed policies");
    }

    /**
     * The local stack gives each function the template's environment and enforces the template's
     * roles, so the two must agree on the keys: a role may read exactly the key secrets its
     * function is told of, each for a provider in its BATCHLANE_PROVIDERS.
     */
    @Test
    void eachRole_readsExactlyTheKeySecretsOfTheProvidersItsFunctionIsGiven() throws Exception {
        DeployedRoles roles = DeployedRoles.read(TEMPLATE, NAMES);
        for (String fn : List.of("ingest", "poll", "complete")) {
            var role = roles.role(fn);
            List<String> enabled =
                    List.of(role.environment().get("BATCHLANE_PROVIDERS").split(","));
            java.util.Set<String> given = new java.util.TreeSet<>();
            role.environment()
                    .forEach(
                            (name, value) -> {
                                if (name.endsWith("_API_KEY_SECRET")) {
                                    String provider =
                                            name.substring(
                                                            "BATCHLANE_".length(),
                                                            name.length()
                                                                    - "_API_KEY_SECRET".length())
                                                    .toLowerCase(java.util.Locale.ROOT);
                                    assertThat(enabled).as("%s: %s", fn, name).contains(provider);
                                    given.add(value);
                                }
                            });
            assertThat(given).as("%s is given key secrets", fn).isNotEmpty();
            for (String arn : given) {
                assertThat(allowed(roles, fn, "secretsmanager:GetSecretValue", arn))
                        .as("%s reads %s", fn, arn)
                        .isTrue();
            }
            java.util.Set<String> readable = new java.util.TreeSet<>();
            for (var st : role.statements()) {
                if (st.actions().stream().anyMatch(a -> a.startsWith("secretsmanager:"))) {
                    readable.addAll(st.resources());
                }
            }
            assertThat(readable).as("the secrets %s's role may read", fn).isEqualTo(given);
        }
    }

    /** The synthesized template with s3:GetObject taken out of ingest's statement on staging/. */
    public static Path withoutIngestStagingRead(Path dir) throws Exception {
        ObjectNode t = (ObjectNode) JSON.readTree(TEMPLATE.toFile());
        int removed = 0;
        for (var it = t.path("Resources").fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getKey().startsWith("LaneFunctionsIngestRoleDefaultPolicy")) {
                continue;
            }
            for (JsonNode s : e.getValue().at("/Properties/PolicyDocument/Statement")) {
                JsonNode actions = s.path("Action");
                if (actions.isArray()
                        && s.toString().contains("/staging/*")
                        && actions.toString().contains("s3:DeleteObject")) {
                    ArrayNode kept = JSON.createArrayNode();
                    actions.forEach(
                            a -> {
                                if (!a.asText().equals("s3:GetObject")) {
                                    kept.add(a);
                                }
                            });
                    ((ObjectNode) s).set("Action", kept);
                    removed++;
                }
            }
        }
        assertThat(removed)
                .as("the ingest statement reading staging/ is in the template")
                .isEqualTo(1);
        Path copy = dir.resolve("no-staging-read.json");
        JSON.writeValue(copy.toFile(), t);
        return copy;
    }

    @Test
    void pollsSelfCopyOfAStagedShard_isAllowedAsS3AuthorizesIt_andTheLifetimeIsInItsEnvironment()
            throws Exception {
        DeployedRoles roles = DeployedRoles.read(TEMPLATE, NAMES);
        S3Rules s3 = new S3Rules("us-east-1", roles.bucketKmsKey());
        String staged = "batchlane-local/staging/j/a/shard-00001.jsonl";
        var copy =
                new ServiceRules.Call(
                        "PUT",
                        "/" + staged,
                        null,
                        java.util.Map.of(
                                "x-amz-copy-source",
                                List.of("/" + staged),
                                "x-amz-metadata-directive",
                                List.of("REPLACE")),
                        new byte[0]);
        List<AccessRequest> needed = s3.authorizations(copy);
        assertThat(needed)
                .extracting(AccessRequest::action)
                .contains("s3:PutObject", "s3:GetObject", "kms:Decrypt", "kms:GenerateDataKey");
        for (AccessRequest r : needed) {
            assertThat(decide(roles, "poll", r).allowed()).as(r.toString()).isTrue();
        }
        // The same copy anywhere else of the lane's is denied.
        String result = "batchlane-local/results/j/part-00001.jsonl";
        var elsewhere =
                new ServiceRules.Call(
                        "PUT",
                        "/" + result,
                        null,
                        java.util.Map.of("x-amz-copy-source", List.of("/" + result)),
                        new byte[0]);
        assertThat(s3.authorizations(elsewhere)).anyMatch(r -> !decide(roles, "poll", r).allowed());
        assertThat(roles.role("poll").environment())
                .containsEntry("BATCHLANE_STAGING_LIFETIME", "P14D");
        assertThat(roles.role("complete").environment())
                .doesNotContainKey("BATCHLANE_STAGING_LIFETIME");
    }

    static boolean allowed(DeployedRoles roles, String fn, String action, String resource) {
        return decide(roles, fn, AccessRequest.of(action, resource)).allowed();
    }

    static Decision decide(DeployedRoles roles, String fn, AccessRequest r) {
        var role = roles.role(fn);
        return PolicyEvaluator.evaluate(role.statements(), List.of(), role.roleArn(), r);
    }
}
