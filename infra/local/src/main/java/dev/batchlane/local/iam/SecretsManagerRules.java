package dev.batchlane.local.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Secrets Manager, played by the local stack itself: GetSecretValue and DescribeSecret on the
 * secret's ARN (a name is looked up among the secrets the stack holds), answered from the values it
 * was given, so the functions read their provider keys the way they do when deployed.
 */
public final class SecretsManagerRules implements ServiceRules {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, String> secrets;

    /**
     * @param secrets secret ARN → value
     */
    public SecretsManagerRules(Map<String, String> secrets) {
        this.secrets = Map.copyOf(secrets);
    }

    @Override
    public String signingName() {
        return "secretsmanager";
    }

    private String arn(String id) {
        if (id.startsWith("arn:")) {
            return id;
        }
        return secrets.keySet().stream()
                .filter(a -> a.contains(":secret:" + id + "-"))
                .findFirst()
                .orElse("arn:aws:secretsmanager:*:*:secret:" + id);
    }

    @Override
    public List<AccessRequest> authorizations(Call call) {
        String op = call.targetOperation();
        if (!"GetSecretValue".equals(op) && !"DescribeSecret".equals(op)) {
            return List.of();
        }
        try {
            return List.of(
                    AccessRequest.of(
                            "secretsmanager:" + op,
                            arn(JSON.readTree(call.body()).path("SecretId").asText())));
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public Optional<Answer> serve(Call call) {
        try {
            JsonNode body = JSON.readTree(call.body());
            String arn = arn(body.path("SecretId").asText());
            String value = secrets.get(arn);
            if (value == null) {
                return Optional.of(
                        Answer.json(
                                400,
                                "application/x-amz-json-1.1",
                                "ResourceNotFoundException",
                                "{\"__type\":\"ResourceNotFoundException\",\"Message\":\"Secrets Manager can't find the"
                                        + " specified secret.\"}"));
            }
            String name = arn.substring(arn.indexOf(":secret:") + 8);
            var answer = JSON.createObjectNode().put("ARN", arn).put("Name", name);
            if ("GetSecretValue".equals(call.targetOperation())) {
                answer.put("SecretString", value)
                        .put("VersionId", "local")
                        .putArray("VersionStages")
                        .add("AWSCURRENT");
            }
            return Optional.of(
                    Answer.json(200, "application/x-amz-json-1.1", null, answer.toString()));
        } catch (IOException e) {
            return Optional.of(
                    Answer.json(
                            400,
                            "application/x-amz-json-1.1",
                            "InvalidRequestException",
                            "{\"__type\":\"InvalidRequestException\",\"Message\":\"unreadable request\"}"));
        }
    }

    @Override
    public Answer denied(Call call, String message) {
        return Answer.json(
                400,
                "application/x-amz-json-1.1",
                "AccessDeniedException",
                "{\"__type\":\"AccessDeniedException\",\"Message\":"
                        + ServiceRules.quote(message)
                        + "}");
    }
}
