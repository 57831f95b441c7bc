package dev.batchlane.simulator.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.batchlane.simulator.SimHttp;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Routes each call to its operation after the SigV4 check the service makes first, and records it
 * before its answer is written.
 */
final class ApiHandler {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String region;
    private final JobEngine jobs;
    private final RuntimeApi runtime;
    private final FaultPlan faults;
    private final List<BedrockSimulator.Recorded> requests;

    ApiHandler(
            String region,
            JobEngine jobs,
            RuntimeApi runtime,
            FaultPlan faults,
            List<BedrockSimulator.Recorded> requests) {
        this.region = region;
        this.jobs = jobs;
        this.runtime = runtime;
        this.faults = faults;
        this.requests = requests;
    }

    void handle(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        String rawPath = ex.getRequestURI().getRawPath();
        String query = ex.getRequestURI().getRawQuery();
        byte[] body = ex.getRequestBody().readAllBytes();
        String text = new String(body, StandardCharsets.UTF_8);
        String[] seg = rawPath.substring(1).split("/");
        String operation = operationOf(method, seg);
        Wire.Answer answer;
        try {
            if (operation == null) {
                throw new Wire.Refusal(
                        404,
                        "UnknownOperationException",
                        "no operation at " + method + " " + rawPath);
            }
            checkSigned(ex);
            faults.injectedFault(operation);
            answer =
                    switch (operation) {
                        case "create" -> jobs.create(json(text, ex));
                        case "get" -> jobs.get(decode(seg[1]));
                        case "list" -> jobs.list(queryOf(query));
                        case "stop" -> jobs.stop(decode(seg[1]));
                        case "invoke" -> runtime.runtime(decode(seg[1]), json(text, ex), false);
                        case "converse" -> runtime.runtime(decode(seg[1]), json(text, ex), true);
                        default -> throw new IllegalStateException(operation);
                    };
        } catch (Wire.Refusal r) {
            answer = r.answer;
        } catch (RuntimeException e) {
            answer =
                    Wire.Answer.error(500, "InternalServerException", "the simulator failed: " + e);
        }
        int lost =
                answer.status() == 200 && "create".equals(operation) ? faults.takeLostCreate() : -1;
        if (lost > 0 && lost != 200) {
            // The job exists; the answer that says so is replaced by the edge's error.
            answer = Wire.Answer.error(lost, "InternalServerException", "injected lost answer");
        }
        requests.add(
                new BedrockSimulator.Recorded(
                        operation,
                        method,
                        rawPath,
                        query,
                        text,
                        lost == 0 ? 0 : answer.status(),
                        answer.body()));
        // Recorded first: a slow call has run (and billed) when it arrived; only its answer waits.
        java.time.Duration slow =
                operation == null ? java.time.Duration.ZERO : faults.takeSlow(operation);
        if (!slow.isZero()) {
            try {
                Thread.sleep(slow.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (lost == 0) {
            // The job exists; the connection closes without an answer.
            ex.close();
            return;
        }
        byte[] out = answer.body().getBytes(StandardCharsets.UTF_8);
        if (lost == 200) {
            out = java.util.Arrays.copyOf(out, out.length / 3);
        }
        ex.getResponseHeaders().set("x-amzn-RequestId", java.util.UUID.randomUUID().toString());
        if (answer.errorType() != null) {
            ex.getResponseHeaders().set("x-amzn-ErrorType", answer.errorType());
        }
        SimHttp.send(ex, answer.status(), "application/json", out);
    }

    private static String operationOf(String method, String[] seg) {
        if (method.equals("POST") && seg.length == 1 && seg[0].equals("model-invocation-job")) {
            return "create";
        }
        if (method.equals("GET") && seg.length == 1 && seg[0].equals("model-invocation-jobs")) {
            return "list";
        }
        if (seg.length == 2 && seg[0].equals("model-invocation-job") && method.equals("GET")) {
            return "get";
        }
        if (seg.length == 3
                && seg[0].equals("model-invocation-job")
                && seg[2].equals("stop")
                && method.equals("POST")) {
            return "stop";
        }
        if (seg.length == 3 && seg[0].equals("model") && method.equals("POST")) {
            return switch (seg[2]) {
                case "invoke" -> "invoke";
                case "converse" -> "converse";
                default -> null;
            };
        }
        return null;
    }

    /**
     * SigV4 for the signing name {@code bedrock} (both the control plane and the runtime sign with
     * it).
     */
    private void checkSigned(HttpExchange ex) {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.startsWith("AWS4-HMAC-SHA256 ")) {
            throw new Wire.Refusal(403, "AccessDeniedException", "Missing Authentication Token");
        }
        if (!auth.contains("/" + region + "/bedrock/aws4_request")) {
            throw new Wire.Refusal(
                    403,
                    "AccessDeniedException",
                    "Credential should be scoped to region "
                            + region
                            + " and service bedrock: "
                            + auth.replaceAll("Signature=.*", ""));
        }
        if (ex.getRequestHeaders().getFirst("X-Amz-Date") == null) {
            throw new Wire.Refusal(403, "AccessDeniedException", "missing X-Amz-Date");
        }
    }

    private static ObjectNode json(String text, HttpExchange ex) {
        String ct = ex.getRequestHeaders().getFirst("Content-Type");
        if (ct == null || !ct.startsWith("application/json")) {
            throw new Wire.Refusal(
                    400, "ValidationException", "Content-Type must be application/json, was " + ct);
        }
        try {
            JsonNode n = JSON.readTree(text.isEmpty() ? "{}" : text);
            if (n instanceof ObjectNode o) {
                return o;
            }
        } catch (IOException e) {
            // falls through
        }
        throw new Wire.Refusal(400, "ValidationException", "the request body is not a JSON object");
    }

    private static String decode(String segment) {
        return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static Map<String, String> queryOf(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                q.put(
                        decode(eq < 0 ? pair : pair.substring(0, eq)),
                        eq < 0 ? "" : decode(pair.substring(eq + 1)));
            }
        }
        return q;
    }
}
