package dev.batchlane.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.infra.BatchlaneContract.Handler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awscdk.App;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.assertions.Template;

/**
 * A lane that names its providers ({@code providers=openai}) gets one key secret, and each function
 * role reads that secret and no other; the default lane's roles read every keyed provider's secret
 * and no other role reads any.
 */
class LaneProvidersTest {
    private static Template openAiOnly;
    private static JsonNode openAiJson;

    @BeforeAll
    static void synthesize() {
        BatchlaneProps props =
                BatchlaneProps.from(
                        Map.<String, Object>of(
                                        "functionZip",
                                        SynthesizedLane.placeholderZip().toString(),
                                        "providers",
                                        "openai")
                                ::get,
                        Map.of());
        openAiOnly =
                Template.fromStack(
                        new BatchlaneStack(
                                new App(), "OpenAiOnly", StackProps.builder().build(), props));
        openAiJson = new ObjectMapper().valueToTree(openAiOnly.toJSON());
    }

    @Test
    void openAiOnly_makesOneSecret_andNoOtherProvidersResources() {
        openAiOnly.resourceCountIs("AWS::SecretsManager::Secret", 1);
        assertThat(secretIds(openAiJson)).singleElement().asString().contains("OpenAi");
        // Bedrock is left out: no service role trusting it, no Bedrock statement anywhere.
        assertThat(openAiJson.path("Resources").toString())
                .doesNotContain("bedrock.amazonaws.com")
                .doesNotContain("\"bedrock:");
        Set<String> outputs = new TreeSet<>();
        openAiJson.path("Outputs").fieldNames().forEachRemaining(outputs::add);
        assertThat(outputs.stream().filter(o -> o.endsWith("ApiKeySecretArn")))
                .containsExactly("OpenAiApiKeySecretArn");
    }

    @ParameterizedTest
    @EnumSource(
            value = Handler.class,
            names = {"INGEST", "POLL", "COMPLETE"})
    void openAiOnly_eachRoleReadsOnlyTheOpenAiSecret(Handler handler) {
        String secret = secretIds(openAiJson).get(0);
        List<JsonNode> secretStatements = secretStatements(openAiJson, roleOf(openAiJson, handler));
        assertThat(secretStatements).as("%s reads a key", handler).isNotEmpty();
        for (JsonNode st : secretStatements) {
            assertThat(resources(st)).as("%s: %s", handler, st).containsOnly(ref(secret));
        }
        JsonNode env = environment(openAiJson, handler);
        assertThat(env.path(BatchlaneContract.ENV_PROVIDERS).asText()).isEqualTo("openai");
        List<String> keyVariables = new ArrayList<>();
        env.fieldNames()
                .forEachRemaining(
                        n -> {
                            if (n.endsWith("_API_KEY_SECRET")) {
                                keyVariables.add(n);
                            }
                        });
        assertThat(keyVariables).containsExactly("BATCHLANE_OPENAI_API_KEY_SECRET");
        assertThat(env.path("BATCHLANE_OPENAI_API_KEY_SECRET")).isEqualTo(ref(secret));
    }

    @Test
    void openAiOnly_enqueueBuildsOnlyOpenAi_toCheckRequests_andReadsNoKey() {
        JsonNode env = environment(openAiJson, Handler.ENQUEUE);
        assertThat(env.path(BatchlaneContract.ENV_PROVIDERS).asText()).isEqualTo("openai");
        assertThat(secretStatements(openAiJson, roleOf(openAiJson, Handler.ENQUEUE))).isEmpty();
        List<String> keyVariables = new ArrayList<>();
        env.fieldNames()
                .forEachRemaining(
                        n -> {
                            if (n.endsWith("_API_KEY_SECRET")) {
                                keyVariables.add(n);
                            }
                        });
        assertThat(keyVariables).isEmpty();
    }

    @Test
    void openAiOnly_noRoleOfTheTemplateReadsAnotherSecret() {
        String secret = secretIds(openAiJson).get(0);
        for (JsonNode st : secretStatements(openAiJson, null)) {
            assertThat(resources(st)).as("%s", st).containsOnly(ref(secret));
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = Handler.class,
            names = {"INGEST", "POLL", "COMPLETE"})
    void byDefault_eachRoleThatCallsProvidersReadsEveryKeyedProvidersSecret(Handler handler) {
        JsonNode json = new ObjectMapper().valueToTree(SynthesizedLane.json());
        List<String> secrets = secretIds(json);
        long keyed =
                BatchlaneProps.catalogue().descriptors().stream().filter(d -> d.hasKey()).count();
        assertThat(secrets).hasSize((int) keyed);
        Set<JsonNode> read = new java.util.HashSet<>();
        secretStatements(json, roleOf(json, handler)).forEach(st -> read.addAll(resources(st)));
        assertThat(read)
                .containsExactlyInAnyOrderElementsOf(secrets.stream().map(s -> ref(s)).toList());
        assertThat(environment(json, handler).path(BatchlaneContract.ENV_PROVIDERS).asText())
                .isEqualTo(String.join(",", BatchlaneProps.catalogue().names()));
    }

    @Test
    void byDefault_aRoleThatCallsNoProvider_readsNoSecret() {
        JsonNode json = new ObjectMapper().valueToTree(SynthesizedLane.json());
        Set<String> functionRoles = new TreeSet<>();
        for (Handler h : Handler.values()) {
            functionRoles.add(roleOf(json, h));
        }
        Set<String> others = new TreeSet<>();
        json.path("Resources")
                .fields()
                .forEachRemaining(
                        e -> {
                            if (e.getValue().path("Type").asText().equals("AWS::IAM::Role")
                                    && !functionRoles.contains(e.getKey())) {
                                others.add(e.getKey());
                            }
                        });
        // The Bedrock service role and the CDK's own (bucket notifications) at least.
        assertThat(others).isNotEmpty();
        for (String role : others) {
            assertThat(secretStatements(json, role)).as(role).isEmpty();
        }
    }

    private static List<String> secretIds(JsonNode json) {
        List<String> ids = new ArrayList<>();
        json.path("Resources")
                .fields()
                .forEachRemaining(
                        e -> {
                            if (e.getValue()
                                    .path("Type")
                                    .asText()
                                    .equals("AWS::SecretsManager::Secret")) {
                                ids.add(e.getKey());
                            }
                        });
        return ids;
    }

    private static JsonNode ref(String id) {
        return new ObjectMapper().createObjectNode().put("Ref", id);
    }

    private static JsonNode function(JsonNode json, Handler handler) {
        List<JsonNode> found = new ArrayList<>();
        json.path("Resources")
                .forEach(
                        r -> {
                            if (r.path("Type").asText().equals("AWS::Lambda::Function")
                                    && handler.handlerName()
                                            .equals(
                                                    r.at(
                                                                    "/Properties/Environment/Variables/"
                                                                            + BatchlaneContract
                                                                                    .ENV_HANDLER)
                                                            .asText())) {
                                found.add(r);
                            }
                        });
        assertThat(found).as("the %s function", handler).hasSize(1);
        return found.get(0);
    }

    private static JsonNode environment(JsonNode json, Handler handler) {
        return function(json, handler).at("/Properties/Environment/Variables");
    }

    private static String roleOf(JsonNode json, Handler handler) {
        return function(json, handler).at("/Properties/Role/Fn::GetAtt/0").asText();
    }

    /**
     * The statements naming a Secrets Manager action in the policies attached to {@code role}
     * (null: every policy of the template).
     */
    private static List<JsonNode> secretStatements(JsonNode json, String role) {
        List<JsonNode> found = new ArrayList<>();
        json.path("Resources")
                .forEach(
                        r -> {
                            List<JsonNode> documents = new ArrayList<>();
                            String type = r.path("Type").asText();
                            if (type.equals("AWS::IAM::Policy")
                                    || type.equals("AWS::IAM::ManagedPolicy")) {
                                boolean attached = role == null;
                                for (JsonNode ref : r.at("/Properties/Roles")) {
                                    attached |= ref.path("Ref").asText().equals(role);
                                }
                                if (attached) {
                                    documents.add(r.at("/Properties/PolicyDocument"));
                                }
                            }
                            for (JsonNode d : documents) {
                                for (JsonNode st : d.path("Statement")) {
                                    if (actions(st).stream()
                                            .anyMatch(a -> a.startsWith("secretsmanager:"))) {
                                        found.add(st);
                                    }
                                }
                            }
                        });
        // Inline policies on a role itself.
        json.path("Resources")
                .fields()
                .forEachRemaining(
                        e -> {
                            if ((role == null || e.getKey().equals(role))
                                    && e.getValue()
                                            .path("Type")
                                            .asText()
                                            .equals("AWS::IAM::Role")) {
                                for (JsonNode p : e.getValue().at("/Properties/Policies")) {
                                    for (JsonNode st : p.at("/PolicyDocument/Statement")) {
                                        if (actions(st).stream()
                                                .anyMatch(a -> a.startsWith("secretsmanager:"))) {
                                            found.add(st);
                                        }
                                    }
                                }
                            }
                        });
        return found;
    }

    private static List<String> actions(JsonNode statement) {
        JsonNode a = statement.path("Action");
        List<String> out = new ArrayList<>();
        if (a.isArray()) {
            a.forEach(x -> out.add(x.asText()));
        } else if (!a.isMissingNode()) {
            out.add(a.asText());
        }
        return out;
    }

    private static List<JsonNode> resources(JsonNode statement) {
        JsonNode r = statement.path("Resource");
        List<JsonNode> out = new ArrayList<>();
        if (r.isArray()) {
            r.forEach(out::add);
        } else {
            out.add(r);
        }
        return out;
    }
}
