package dev.batchlane.local.iam;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Bedrock's calls as IAM sees them, and the synthesized roles' answers: the functions that create
 * jobs may create them on the configured model and pass exactly the service role; another model,
 * another role, or complete creating anything is refused.
 */
class BedrockRulesTest {
    private static final BedrockRules RULES = new BedrockRules("us-east-1", "000000000000");
    private static final String MODEL = "anthropic.claude-3-haiku-20240307-v1:0";
    private static final String JOB =
            "arn:aws:bedrock:us-east-1:000000000000:model-invocation-job/abcdefghij12";

    private static ServiceRules.Call call(String method, String path, String body) {
        return new ServiceRules.Call(
                method,
                path,
                null,
                Map.of(),
                body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    private static String create(String model, String role) {
        return "{\"jobName\":\"batchlane-j-1\",\"clientRequestToken\":\"t1\",\"roleArn\":\""
                + role
                + "\",\"modelId\":\""
                + model
                + "\",\"inputDataConfig\":{},\"outputDataConfig\":{},\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]}";
    }

    @Test
    void eachCall_isTheActionOnTheResourceTheServiceAuthorizationReferenceNames() {
        String role = "arn:aws:iam::000000000000:role/R";
        List<AccessRequest> created =
                RULES.authorizations(call("POST", "/model-invocation-job", create(MODEL, role)));
        assertThat(created)
                .extracting(AccessRequest::action, AccessRequest::resource)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                "bedrock:CreateModelInvocationJob",
                                "arn:aws:bedrock:us-east-1::foundation-model/" + MODEL),
                        org.assertj.core.groups.Tuple.tuple(
                                "bedrock:CreateModelInvocationJob", created.get(1).resource()),
                        org.assertj.core.groups.Tuple.tuple(
                                "bedrock:TagResource", created.get(1).resource()),
                        org.assertj.core.groups.Tuple.tuple("iam:PassRole", role));
        assertThat(created.get(1).resource())
                .matches(
                        "arn:aws:bedrock:us-east-1:000000000000:model-invocation-job/[a-z0-9]{12}");
        assertThat(created.get(3).context())
                .containsEntry("iam:PassedToService", List.of("bedrock.amazonaws.com"));

        assertThat(
                        RULES.authorizations(
                                call(
                                        "GET",
                                        "/model-invocation-job/"
                                                + JOB.replace(":", "%3A").replace("/", "%2F"),
                                        null)))
                .containsExactly(AccessRequest.of("bedrock:GetModelInvocationJob", JOB));
        assertThat(
                        RULES.authorizations(
                                call("POST", "/model-invocation-job/abcdefghij12/stop", null)))
                .containsExactly(AccessRequest.of("bedrock:StopModelInvocationJob", JOB));
        assertThat(RULES.authorizations(call("GET", "/model-invocation-jobs", null)))
                .containsExactly(AccessRequest.of("bedrock:ListModelInvocationJobs", "*"));
        // Converse has no action of its own: it is InvokeModel. A profile is checked with its
        // model.
        assertThat(
                        RULES.authorizations(
                                call(
                                        "POST",
                                        "/model/" + MODEL.replace(":", "%3A") + "/converse",
                                        "{}")))
                .containsExactly(
                        AccessRequest.of(
                                "bedrock:InvokeModel",
                                "arn:aws:bedrock:us-east-1::foundation-model/" + MODEL));
        assertThat(RULES.authorizations(call("POST", "/model/us." + MODEL + "/invoke", "{}")))
                .extracting(AccessRequest::resource)
                .containsExactly(
                        "arn:aws:bedrock:us-east-1:000000000000:inference-profile/us." + MODEL,
                        "arn:aws:bedrock:us-east-1::foundation-model/" + MODEL);
        // Not mapped, so denied by the proxy: the streaming variant and the rest of Bedrock.
        assertThat(
                        RULES.authorizations(
                                call(
                                        "POST",
                                        "/model/" + MODEL + "/invoke-with-response-stream",
                                        "{}")))
                .isEmpty();
        assertThat(RULES.authorizations(call("GET", "/foundation-models", null))).isEmpty();
    }

    @Test
    void theSynthesizedRoles_allowCreatingOnTheConfiguredModelWithTheServiceRole_andNothingElse()
            throws Exception {
        DeployedRoles roles =
                DeployedRoles.read(DeployedRolesTest.TEMPLATE, DeployedRolesTest.NAMES);
        String serviceRole = roles.role("ingest").environment().get("BATCHLANE_BEDROCK_ROLE_ARN");
        assertThat(serviceRole).startsWith("arn:aws:iam::000000000000:role/");
        for (String fn : List.of("ingest", "poll")) {
            assertThat(
                            RULES.authorizations(
                                    call(
                                            "POST",
                                            "/model-invocation-job",
                                            create(MODEL, serviceRole))))
                    .as(fn)
                    .allSatisfy(
                            r ->
                                    assertThat(DeployedRolesTest.decide(roles, fn, r).allowed())
                                            .as("%s %s", fn, r)
                                            .isTrue());
        }
        assertThat(
                        RULES.authorizations(
                                call(
                                        "POST",
                                        "/model-invocation-job",
                                        create("meta.llama3-70b-instruct-v1:0", serviceRole))))
                .anySatisfy(
                        r ->
                                assertThat(DeployedRolesTest.decide(roles, "ingest", r).allowed())
                                        .isFalse());
        assertThat(
                        RULES.authorizations(
                                call(
                                        "POST",
                                        "/model-invocation-job",
                                        create(MODEL, "arn:aws:iam::000000000000:role/Admin"))))
                .anySatisfy(r -> assertThat(r.action()).isEqualTo("iam:PassRole"))
                .anySatisfy(
                        r ->
                                assertThat(DeployedRolesTest.decide(roles, "ingest", r).allowed())
                                        .isFalse());
        assertThat(
                        RULES.authorizations(
                                call("POST", "/model-invocation-job", create(MODEL, serviceRole))))
                .allSatisfy(
                        r ->
                                assertThat(DeployedRolesTest.decide(roles, "complete", r).allowed())
                                        .isFalse());
    }
}
