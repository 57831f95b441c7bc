package dev.batchlane.local.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Amazon Bedrock's control plane and bedrock-runtime, which both sign with the name {@code bedrock}
 * and so share these rules. Each REST-JSON call (method and path) is the IAM action Bedrock's
 * service authorization reference names for it, on its resource types:
 *
 * <ul>
 *   <li>{@code POST /model-invocation-job} (CreateModelInvocationJob): {@code
 *       bedrock:CreateModelInvocationJob} on the model (foundation model, or the inference profile
 *       and the foundation model it routes to) and on the new job's {@code model-invocation-job}
 *       ARN; {@code bedrock:TagResource} on the job when the request has tags; and {@code
 *       iam:PassRole} on the request's {@code roleArn} with {@code iam:PassedToService =
 *       bedrock.amazonaws.com}, as IAM checks a role handed to a service.
 *   <li>{@code GET /model-invocation-job/{id}} and {@code POST /model-invocation-job/{id}/stop}:
 *       {@code bedrock:GetModelInvocationJob} / {@code bedrock:StopModelInvocationJob} on the job's
 *       ARN (an id alone is completed to the ARN in this account and Region).
 *   <li>{@code GET /model-invocation-jobs}: {@code bedrock:ListModelInvocationJobs}, which has no
 *       resource type and is authorized on {@code *}.
 *   <li>{@code POST /model/{modelId}/invoke} and {@code .../converse}: {@code bedrock:InvokeModel}
 *       on the model; Converse has no action of its own and is authorized as InvokeModel.
 * </ul>
 *
 * The streaming variants and every other Bedrock call map to nothing and are denied until mapped
 * here. A denial is Bedrock's {@code AccessDeniedException} (HTTP 403, REST-JSON error).
 */
public final class BedrockRules implements ServiceRules {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The geography prefixes of Bedrock's cross-Region inference profile ids ("us.anthropic…"). */
    private static final Pattern PROFILE =
            Pattern.compile("(us|eu|apac|us-gov|ca|jp|au|global)\\..+");

    private final String region;
    private final String account;

    public BedrockRules(String region, String account) {
        this.region = region;
        this.account = account;
    }

    @Override
    public String signingName() {
        return "bedrock";
    }

    @Override
    public List<AccessRequest> authorizations(Call call) {
        String[] seg = call.rawPath().substring(1).split("/");
        String method = call.method();
        if (method.equals("POST") && seg.length == 1 && seg[0].equals("model-invocation-job")) {
            return create(call);
        }
        if (method.equals("GET") && seg.length == 1 && seg[0].equals("model-invocation-jobs")) {
            return List.of(AccessRequest.of("bedrock:ListModelInvocationJobs", "*"));
        }
        if (method.equals("GET") && seg.length == 2 && seg[0].equals("model-invocation-job")) {
            return List.of(
                    AccessRequest.of("bedrock:GetModelInvocationJob", jobArn(decode(seg[1]))));
        }
        if (method.equals("POST")
                && seg.length == 3
                && seg[0].equals("model-invocation-job")
                && seg[2].equals("stop")) {
            return List.of(
                    AccessRequest.of("bedrock:StopModelInvocationJob", jobArn(decode(seg[1]))));
        }
        if (method.equals("POST")
                && seg.length == 3
                && seg[0].equals("model")
                && (seg[2].equals("invoke") || seg[2].equals("converse"))) {
            return modelArns(decode(seg[1])).stream()
                    .map(m -> AccessRequest.of("bedrock:InvokeModel", m))
                    .toList();
        }
        return List.of();
    }

    private List<AccessRequest> create(Call call) {
        JsonNode body;
        try {
            body = JSON.readTree(call.body());
        } catch (IOException e) {
            return List.of();
        }
        String model = body.path("modelId").asText("");
        String roleArn = body.path("roleArn").asText("");
        if (model.isEmpty() || roleArn.isEmpty()) {
            // Bedrock refuses such a request as invalid; the proxy cannot name what IAM would
            // check.
            return List.of();
        }
        String job =
                newJobArn(body.path("clientRequestToken").asText(body.path("jobName").asText("")));
        List<AccessRequest> needed = new ArrayList<>();
        for (String m : modelArns(model)) {
            needed.add(AccessRequest.of("bedrock:CreateModelInvocationJob", m));
        }
        needed.add(AccessRequest.of("bedrock:CreateModelInvocationJob", job));
        if (body.path("tags").size() > 0) {
            needed.add(AccessRequest.of("bedrock:TagResource", job));
        }
        needed.add(
                AccessRequest.of("iam:PassRole", roleArn)
                        .with("iam:PassedToService", "bedrock.amazonaws.com"));
        return needed;
    }

    /**
     * The job being created has no id yet (Bedrock picks one); IAM authorizes a create on the ARN
     * it will have, so a grant on {@code model-invocation-job/*} allows it and one naming another
     * job's id does not. A stand-in id of Bedrock's shape (12 lower-case characters) plays it.
     */
    private String newJobArn(String seed) {
        try {
            byte[] d =
                    MessageDigest.getInstance("SHA-256")
                            .digest(seed.getBytes(StandardCharsets.UTF_8));
            return jobArn(HexFormat.of().formatHex(d, 0, 6));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    }

    private String jobArn(String identifier) {
        return identifier.startsWith("arn:")
                ? identifier
                : "arn:aws:bedrock:"
                        + region
                        + ":"
                        + account
                        + ":model-invocation-job/"
                        + identifier;
    }

    /**
     * The resources a model id stands for: an ARN as given; a cross-Region inference profile and
     * the foundation model it routes to (here in the stack's one Region); else a foundation model,
     * whose ARN has no account.
     */
    List<String> modelArns(String model) {
        if (model.startsWith("arn:")) {
            return List.of(model);
        }
        if (PROFILE.matcher(model).matches()) {
            return List.of(
                    "arn:aws:bedrock:" + region + ":" + account + ":inference-profile/" + model,
                    "arn:aws:bedrock:"
                            + region
                            + "::foundation-model/"
                            + model.substring(model.indexOf('.') + 1));
        }
        return List.of("arn:aws:bedrock:" + region + "::foundation-model/" + model);
    }

    private static String decode(String segment) {
        return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    @Override
    public Answer denied(Call call, String message) {
        return Answer.json(
                403,
                "application/json",
                "AccessDeniedException",
                "{\"message\":" + ServiceRules.quote(message) + "}");
    }
}
