package dev.batchlane.simulator.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.batchlane.simulator.SimHttp;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Google's wire: the error envelope, {@code google.rpc.Status}, the discovery document's checks of
 * requests and answers, the answers a fault gives, and the request log, written before each answer.
 */
final class Wire {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DiscoveryDocument discovery;
    final List<String> conformanceProblems = new CopyOnWriteArrayList<>();
    final List<String> requestLog = new CopyOnWriteArrayList<>();

    Wire(DiscoveryDocument discovery) {
        this.discovery = discovery;
    }

    /**
     * Google's answer to a body its proto parser refuses, or null when the body conforms (or no
     * document is set).
     */
    String invalidRequest(String schema, JsonNode body) {
        if (discovery == null) {
            return null;
        }
        List<String> problems = discovery.checkRequest(schema, body);
        return problems.isEmpty() ? null : "Invalid JSON payload received. " + problems.get(0);
    }

    /** Holds an answer to the document: a non-conforming one is recorded and fails the call. */
    byte[] conform(String schema, JsonNode answer) {
        if (discovery != null) {
            List<String> problems = new ArrayList<>(discovery.checkResponse(schema, answer));
            if (schema.equals("Operation")) {
                if (answer.has("metadata")) {
                    problems.addAll(
                            discovery.checkResponse(
                                    "GenerateContentBatch", answer.get("metadata")));
                }
                if (answer.has("response")) {
                    problems.addAll(
                            discovery.checkResponse(
                                    "GenerateContentBatchOutput", answer.get("response")));
                }
            } else if (schema.equals("ListOperationsResponse")) {
                for (JsonNode op : answer.path("operations")) {
                    conform("Operation", op);
                }
            }
            if (!problems.isEmpty()) {
                conformanceProblems.addAll(problems);
                throw new IllegalStateException(
                        "the answer does not conform to " + schema + ": " + problems);
            }
        }
        return answer.toString().getBytes(StandardCharsets.UTF_8);
    }

    static long countLines(Path p) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(p)) {
            return r.lines().filter(l -> !l.isBlank()).count();
        }
    }

    static ObjectNode status(int code, String status, String message) {
        ObjectNode s = JSON.createObjectNode();
        s.put("code", code);
        s.put("message", message);
        // google.rpc.Status has code, message and details; the name travels only in the HTTP
        // envelope.
        return s;
    }

    /** The body as JSON, or null when it is not a JSON object. */
    static JsonNode readJson(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] bytes = in.readNBytes(8 * 1024 * 1024);
            if (bytes.length == 0) {
                return null;
            }
            JsonNode n = JSON.readTree(bytes);
            return n != null && n.isObject() ? n : null;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return null;
        }
    }

    static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw == null) {
            return q;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k =
                    URLDecoder.decode(
                            eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            q.put(
                    k,
                    eq < 0
                            ? ""
                            : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return q;
    }

    static byte[] error(int code, String status, String message) {
        ObjectNode n = JSON.createObjectNode();
        n.putObject("error").put("code", code).put("message", message).put("status", status);
        return n.toString().getBytes(StandardCharsets.UTF_8);
    }

    int send(HttpExchange ex, int status, byte[] body) throws IOException {
        record(ex, status);
        return SimHttp.send(ex, status, "application/json; charset=UTF-8", body);
    }

    /**
     * Logs a call before its answer is written: a client that has its answer must find its call in
     * {@link #requestLog()}, or a test reading the log right after the answer races the handler.
     */
    void record(HttpExchange ex, int status) {
        requestLog.add(
                ex.getRequestMethod() + " " + ex.getRequestURI().getRawPath() + " -> " + status);
    }

    /** Thrown for a lost answer of status 0: the exchange closes without any answer. */
    static final class ConnectionDropped extends RuntimeException {
        ConnectionDropped() {
            super("answer withheld", null, false, false);
        }
    }

    /**
     * The answer of a call whose answer is lost after it acted: status 0 closes the connection
     * without an answer, 200 sends {@code whole} cut to a third, any other status is an error.
     */
    int lose(HttpExchange ex, FaultPlan.CallFault f, String operation, byte[] whole)
            throws IOException {
        if (f.status == 0) {
            requestLog.add(
                    ex.getRequestMethod() + " " + ex.getRequestURI().getRawPath() + " -> reset");
            throw new ConnectionDropped();
        }
        if (f.status == 200) {
            return send(ex, 200, java.util.Arrays.copyOf(whole, whole.length / 3));
        }
        return refuse(ex, f, operation);
    }

    int refuse(HttpExchange ex, FaultPlan.CallFault f, String operation) throws IOException {
        if (f.status == 429) {
            ex.getResponseHeaders().add("Retry-After", "1");
            return send(
                    ex,
                    429,
                    error(429, "RESOURCE_EXHAUSTED", "injected: quota exceeded on " + operation));
        }
        return send(
                ex,
                f.status,
                error(
                        f.status,
                        f.status == 503
                                ? "UNAVAILABLE"
                                : f.status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION",
                        "injected failure of " + operation));
    }

    /**
     * Where a list call starts: 0 without a page token, the index a token this simulator handed out
     * stands for, or -1 for any other token (the API answers 400 INVALID_ARGUMENT).
     */
    static int pageStart(java.util.Map<String, String> query) {
        String token = query.get("pageToken");
        if (token == null) {
            return 0;
        }
        try {
            int from =
                    Integer.parseInt(
                            new String(
                                    java.util.Base64.getUrlDecoder().decode(token),
                                    StandardCharsets.UTF_8));
            return from < 0 ? -1 : from;
        } catch (IllegalArgumentException e) {
            return -1;
        }
    }

    /** The opaque token of the page starting at {@code from}. */
    static String pageToken(int from) {
        return java.util.Base64.getUrlEncoder()
                .encodeToString(Integer.toString(from).getBytes(StandardCharsets.UTF_8));
    }
}
