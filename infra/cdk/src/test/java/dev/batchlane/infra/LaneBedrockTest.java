package dev.batchlane.infra;

import static dev.batchlane.infra.SynthesizedLane.allStatements;
import static dev.batchlane.infra.SynthesizedLane.bucketArn;
import static dev.batchlane.infra.SynthesizedLane.object;
import static dev.batchlane.infra.SynthesizedLane.properties;
import static dev.batchlane.infra.SynthesizedLane.render;
import static dev.batchlane.infra.SynthesizedLane.resources;
import static dev.batchlane.infra.SynthesizedLane.roleId;
import static dev.batchlane.infra.SynthesizedLane.statements;
import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.infra.BatchlaneContract.Handler;
import dev.batchlane.infra.SynthesizedLane.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Bedrock service role and the functions' Bedrock permissions, as synthesized. */
class LaneBedrockTest {
    private static final String MODEL = "anthropic.claude-3-haiku-20240307-v1:0";
    private static final String MODEL_ARN =
            "arn:aws:bedrock:${AWS::Region}::foundation-model/" + MODEL;
    private static final String JOBS =
            "arn:aws:bedrock:${AWS::Region}:${AWS::AccountId}:model-invocation-job/*";

    private static String serviceRole() {
        return resources("AWS::IAM::Role").entrySet().stream()
                .filter(
                        e ->
                                render(
                                                ((Map<?, ?>) e.getValue().get("Properties"))
                                                        .get("AssumeRolePolicyDocument")
                                                        .toString())
                                        .contains("bedrock.amazonaws.com"))
                .map(Map.Entry::getKey)
                .reduce(
                        (a, b) -> {
                            throw new AssertionError(
                                    "more than one role trusts Bedrock: " + a + ", " + b);
                        })
                .orElseThrow();
    }

    private static List<Statement> serviceRoleStatements() {
        String role = "${" + serviceRole() + "}";
        return allStatements().stream().filter(s -> s.roles().contains(role)).toList();
    }

    @SuppressWarnings("unchecked")
    @Test
    void serviceRole_trustsOnlyBedrock_forThisAccountsModelInvocationJobs() {
        Map<String, Object> trust =
                (Map<String, Object>) properties(serviceRole()).get("AssumeRolePolicyDocument");
        List<Map<String, Object>> st = (List<Map<String, Object>>) trust.get("Statement");
        assertThat(st)
                .singleElement()
                .satisfies(
                        s -> {
                            assertThat(s.get("Action")).isEqualTo("sts:AssumeRole");
                            assertThat(s.get("Principal"))
                                    .isEqualTo(Map.of("Service", "bedrock.amazonaws.com"));
                            Map<String, Map<String, Object>> c =
                                    (Map<String, Map<String, Object>>) s.get("Condition");
                            assertThat(render(c.get("StringEquals").get("aws:SourceAccount")))
                                    .isEqualTo("${AWS::AccountId}");
                            assertThat(render(c.get("ArnEquals").get("aws:SourceArn")))
                                    .isEqualTo(JOBS);
                        });
    }

    @Test
    void serviceRole_readsOnlyTheInputPrefix_writesOnlyTheOutputPrefix() {
        List<Statement> st = serviceRoleStatements();
        assertThat(
                        st.stream()
                                .anyMatch(
                                        s ->
                                                s.allows(
                                                        "s3:GetObject",
                                                        object(
                                                                "bedrock/input/job-1-00000/x.jsonl"))))
                .isTrue();
        assertThat(
                        st.stream()
                                .anyMatch(
                                        s ->
                                                s.allows(
                                                        "s3:PutObject",
                                                        object(
                                                                "bedrock/output/b-1/abc/x.jsonl.out"))))
                .isTrue();
        for (String other :
                List.of(
                        "inbox/bedrock/x.jsonl",
                        "staging/job-1/shard-00000.jsonl",
                        "results/job-1/manifest.json",
                        "bedrock/output/b-1/abc/x.jsonl.out")) {
            assertThat(st.stream().anyMatch(s -> s.allows("s3:GetObject", object(other))))
                    .as("read " + other)
                    .isFalse();
        }
        for (String other :
                List.of("bedrock/input/x.jsonl", "results/job-1/part-00000.jsonl", "staging/x")) {
            assertThat(st.stream().anyMatch(s -> s.allows("s3:PutObject", object(other))))
                    .as("write " + other)
                    .isFalse();
        }
        assertThat(st)
                .noneMatch(
                        s ->
                                s.allowsAnyOf(
                                        "s3:DeleteObject",
                                        "iam:PassRole",
                                        "bedrock:CreateModelInvocationJob"));
        assertThat(st)
                .filteredOn(s -> s.allows("s3:ListBucket", bucketArn()))
                .singleElement()
                .satisfies(
                        s ->
                                assertThat(String.valueOf(s.condition()))
                                        .contains("bedrock/input/*")
                                        .contains("bedrock/output/*"));
        assertThat(st)
                .filteredOn(s -> s.actions().stream().anyMatch(a -> a.startsWith("kms:")))
                .isNotEmpty()
                .allSatisfy(
                        s -> assertThat(String.valueOf(s.condition())).contains("kms:ViaService"));
    }

    @Test
    void onlyTheFunctionsThatCreateJobs_mayPassExactlyTheServiceRole_toBedrock() {
        String role = "${" + serviceRole() + ".Arn}";
        for (Handler h : List.of(Handler.INGEST, Handler.POLL)) {
            List<Statement> pass =
                    statements(h).stream().filter(s -> s.allows("iam:PassRole")).toList();
            assertThat(pass)
                    .as(h.handlerName())
                    .singleElement()
                    .satisfies(
                            s -> {
                                assertThat(s.resources()).containsExactly(role);
                                assertThat(s.condition())
                                        .isEqualTo(
                                                Map.of(
                                                        "StringEquals",
                                                        Map.of(
                                                                "iam:PassedToService",
                                                                "bedrock.amazonaws.com")));
                            });
        }
        assertThat(statements(Handler.COMPLETE)).noneMatch(s -> s.allows("iam:PassRole"));
    }

    @Test
    void jobsAreCreatedAndModelsInvokedOnlyOnTheConfiguredModels() {
        for (Handler h : List.of(Handler.INGEST, Handler.POLL)) {
            assertThat(
                            statements(h).stream()
                                    .anyMatch(
                                            s ->
                                                    s.allows(
                                                            "bedrock:CreateModelInvocationJob",
                                                            MODEL_ARN)))
                    .isTrue();
            assertThat(
                            statements(h).stream()
                                    .anyMatch(
                                            s ->
                                                    s.allows(
                                                            "bedrock:CreateModelInvocationJob",
                                                            JOBS.replace("*", "abcdefghijkl"))))
                    .isTrue();
            assertThat(
                            statements(h).stream()
                                    .anyMatch(
                                            s ->
                                                    s.allows(
                                                            "bedrock:StopModelInvocationJob",
                                                            JOBS.replace("*", "abcdefghijkl"))))
                    .isTrue();
            assertThat(
                            statements(h).stream()
                                    .anyMatch(s -> s.allows("bedrock:TagResource", MODEL_ARN)))
                    .as("tags go on the job, never on a model")
                    .isFalse();
        }
        // Only poll runs small shards on demand, so only poll invokes models, and only the
        // configured ones.
        assertThat(
                        statements(Handler.POLL).stream()
                                .anyMatch(s -> s.allows("bedrock:InvokeModel", MODEL_ARN)))
                .isTrue();
        assertThat(
                        statements(Handler.POLL).stream()
                                .anyMatch(
                                        s ->
                                                s.allows(
                                                        "bedrock:InvokeModel",
                                                        "arn:aws:bedrock:${AWS::Region}::foundation-model/anthropic.claude-opus-4-v1:0")))
                .as("a model not configured")
                .isFalse();
        assertThat(statements(Handler.INGEST)).noneMatch(s -> s.allows("bedrock:InvokeModel"));
        assertThat(statements(Handler.COMPLETE))
                .noneMatch(
                        s ->
                                s.allowsAnyOf(
                                        "bedrock:CreateModelInvocationJob", "bedrock:InvokeModel"));
        assertThat(allStatements()).noneMatch(s -> s.actions().contains("bedrock:*"));
    }

    @Test
    void inferenceProfiles_grantTheProfileAndItsModelInEveryRegion() {
        BatchlaneProps props =
                BatchlaneProps.from(
                        Map.<String, Object>of(
                                        "functionZip",
                                        SynthesizedLane.placeholderZip().toString(),
                                        "bedrockModels",
                                        "us.anthropic.claude-3-5-haiku-20241022-v1:0")
                                ::get,
                        Map.of());
        var app = new software.amazon.awscdk.App();
        var stack =
                new BatchlaneStack(
                        app,
                        "Profiles",
                        software.amazon.awscdk.StackProps.builder().build(),
                        props);
        var template = software.amazon.awscdk.assertions.Template.fromStack(stack);
        String json =
                new com.fasterxml.jackson.databind.ObjectMapper()
                        .valueToTree(template.toJSON())
                        .toString();
        assertThat(json)
                .contains(":inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0")
                .contains(
                        "arn:aws:bedrock:*::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0");
    }

    @Test
    void completeReadsAndDeletesTheBedrockObjects_butCannotWriteThem() {
        assertThat(
                        statements(Handler.COMPLETE).stream()
                                .anyMatch(
                                        s ->
                                                s.allows(
                                                        "s3:GetObject",
                                                        object(
                                                                "bedrock/output/b-1/abc/x.jsonl.out"))))
                .isTrue();
        assertThat(
                        statements(Handler.COMPLETE).stream()
                                .anyMatch(
                                        s ->
                                                s.allows(
                                                        "s3:DeleteObject",
                                                        object("bedrock/input/b-1/x.jsonl"))))
                .isTrue();
        assertThat(
                        statements(Handler.COMPLETE).stream()
                                .anyMatch(
                                        s ->
                                                s.allows(
                                                        "s3:PutObject",
                                                        object(
                                                                "bedrock/output/b-1/abc/x.jsonl.out"))))
                .isFalse();
        assertThat(roleId(Handler.COMPLETE)).isNotEqualTo(serviceRole());
    }
}
