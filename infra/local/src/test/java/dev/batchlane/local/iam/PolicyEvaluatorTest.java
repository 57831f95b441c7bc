package dev.batchlane.local.iam;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyEvaluatorTest {
    private static final String ROLE = "arn:aws:iam::000000000000:role/r";

    static IamStatement allow(List<String> actions, List<String> resources) {
        return new IamStatement(
                null, true, actions, false, resources, false, Map.of(), List.of(), "test");
    }

    static IamStatement deny(
            List<String> actions,
            List<String> resources,
            Map<String, Map<String, List<String>>> c) {
        return new IamStatement(
                null, false, actions, false, resources, false, c, List.of("*"), "bucket policy");
    }

    @Test
    void wildcards_matchActionsCaseInsensitivelyAndResourcesAcrossSlashes() {
        var s = List.of(allow(List.of("s3:Get*"), List.of("arn:aws:s3:::b/staging/*")));
        assertThat(decide(s, "s3:getobject", "arn:aws:s3:::b/staging/job/shard-1.jsonl").allowed())
                .isTrue();
        assertThat(decide(s, "s3:PutObject", "arn:aws:s3:::b/staging/x").outcome())
                .isEqualTo(Decision.Outcome.IMPLICIT_DENY);
        // Resources are case-sensitive, and a prefix grant does not reach a sibling prefix.
        assertThat(decide(s, "s3:GetObject", "arn:aws:s3:::b/Staging/x").allowed()).isFalse();
        assertThat(decide(s, "s3:GetObject", "arn:aws:s3:::b/stagingx").allowed()).isFalse();
        assertThat(PolicyEvaluator.wildcard("a?c", "abc")).isTrue();
        assertThat(PolicyEvaluator.wildcard("a?c", "abbc")).isFalse();
    }

    @Test
    void explicitDeny_inTheResourcePolicy_winsOverAnAllow() {
        var identity = List.of(allow(List.of("s3:*"), List.of("*")));
        var bucket =
                List.of(
                        deny(
                                List.of("s3:*"),
                                List.of("arn:aws:s3:::b/*"),
                                Map.of("Bool", Map.of("aws:SecureTransport", List.of("false")))));
        var plain =
                new AccessRequest(
                        "s3:GetObject",
                        "arn:aws:s3:::b/k",
                        Map.of("aws:SecureTransport", List.of("false")));
        var tls = plain.with("aws:SecureTransport", "true");
        assertThat(PolicyEvaluator.evaluate(identity, bucket, ROLE, plain).outcome())
                .isEqualTo(Decision.Outcome.EXPLICIT_DENY);
        assertThat(PolicyEvaluator.evaluate(identity, bucket, ROLE, tls).allowed()).isTrue();
    }

    @Test
    void conditions_stringEqualsOnEveryKey_andMissingKeysDoNotMatch() {
        var s =
                new IamStatement(
                        null,
                        true,
                        List.of("events:PutEvents"),
                        false,
                        List.of("arn:bus"),
                        false,
                        Map.of(
                                "StringEquals",
                                Map.of(
                                        "events:source",
                                        List.of("batchlane"),
                                        "events:detail-type",
                                        List.of("Batchlane Job Completed"))),
                        List.of(),
                        "test");
        var ok =
                AccessRequest.of("events:PutEvents", "arn:bus")
                        .with("events:source", "batchlane")
                        .with("events:detail-type", "Batchlane Job Completed");
        assertThat(PolicyEvaluator.evaluate(List.of(s), List.of(), ROLE, ok).allowed()).isTrue();
        assertThat(
                        PolicyEvaluator.evaluate(
                                        List.of(s),
                                        List.of(),
                                        ROLE,
                                        ok.with("events:source", "aws.s3"))
                                .allowed())
                .isFalse();
        assertThat(
                        PolicyEvaluator.evaluate(
                                        List.of(s),
                                        List.of(),
                                        ROLE,
                                        AccessRequest.of("events:PutEvents", "arn:bus"))
                                .allowed())
                .isFalse();
    }

    @Test
    void negatedAndNumericOperators_andUnknownOperatorsFailClosed() {
        assertThat(PolicyEvaluator.condition("StringNotEquals", null, List.of("x"))).contains(true);
        assertThat(PolicyEvaluator.condition("StringLikeIfExists", null, List.of("x*")))
                .contains(true);
        assertThat(PolicyEvaluator.condition("NumericLessThan", List.of("1.3"), List.of("1.2")))
                .contains(false);
        assertThat(PolicyEvaluator.condition("NumericLessThan", List.of("1.0"), List.of("1.2")))
                .contains(true);
        assertThat(PolicyEvaluator.condition("Null", null, List.of("true"))).contains(true);
        assertThat(
                        PolicyEvaluator.condition(
                                "IpAddress", List.of("1.2.3.4"), List.of("1.2.3.0/24")))
                .isEmpty();
        var unknown =
                new IamStatement(
                        null,
                        true,
                        List.of("s3:GetObject"),
                        false,
                        List.of("*"),
                        false,
                        Map.of("IpAddress", Map.of("aws:SourceIp", List.of("10.0.0.0/8"))),
                        List.of(),
                        "test");
        assertThat(decide(List.of(unknown), "s3:GetObject", "arn:aws:s3:::b/k").allowed())
                .isFalse();
    }

    @Test
    void notActionAndNotResource_invertTheMatch() {
        var s =
                new IamStatement(
                        null,
                        true,
                        List.of("s3:Delete*"),
                        true,
                        List.of("arn:aws:s3:::b/keep/*"),
                        true,
                        Map.of(),
                        List.of(),
                        "test");
        assertThat(decide(List.of(s), "s3:GetObject", "arn:aws:s3:::b/other").allowed()).isTrue();
        assertThat(decide(List.of(s), "s3:DeleteObject", "arn:aws:s3:::b/other").allowed())
                .isFalse();
        assertThat(decide(List.of(s), "s3:GetObject", "arn:aws:s3:::b/keep/x").allowed()).isFalse();
    }

    private static Decision decide(List<IamStatement> s, String action, String resource) {
        return PolicyEvaluator.evaluate(s, List.of(), ROLE, AccessRequest.of(action, resource));
    }
}
