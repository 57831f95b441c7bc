package dev.batchlane.simulator.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.batchlane.simulator.SimHttp;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Amazon Bedrock's batch inference control plane ({@code *ModelInvocationJob*}, REST-JSON) and the
 * bedrock-runtime InvokeModel and Converse calls, on loopback, over an S3 emulator. The AWS SDK
 * clients talk to it unchanged through {@code endpointOverride}. It is as strict as the service:
 * every request must be SigV4-signed for the {@code bedrock} signing name, and Create is checked
 * member by member against the service model's patterns and ranges (unknown members, bad names,
 * ARNs, S3 URIs, tags, timeouts are a ValidationException). A job moves one status per {@code
 * stepDuration} when read: Submitted, Validating (input read from S3: JSONL objects of the record
 * form, the record-count quotas; a job below the minimum fails here, as Bedrock's validation does),
 * Scheduled, InProgress, then Completed — or PartiallyCompleted, Expired or Stopped when told to.
 * Output is written as Bedrock writes it: {@code <output s3Uri><job id>/<input file>.out} in
 * shuffled order and {@code manifest.json.out}.
 */
public final class BedrockSimulator implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The account of the job ARNs it makes, unless the builder names another (the local stack's).
     */
    public static final String ACCOUNT = "123456789012";

    // Patterns and ranges of the service model's shapes, as the service enforces them.
    private static final Pattern JOB_NAME =
            Pattern.compile("[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\\+\\-\\.]){0,63}");
    private static final Pattern TOKEN =
            Pattern.compile("[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}");
    private static final Pattern ROLE_ARN =
            Pattern.compile("arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+");
    private static final Pattern S3_URI =
            Pattern.compile(
                    "s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?");
    private static final Pattern MODEL_ID =
            Pattern.compile(
                    "(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:(([0-9]{12}:custom-model/"
                            + "[a-z0-9-]{1,63}[.]{1}[a-z0-9-:]{1,63}/[a-z0-9]{12}$)|(:foundation-model/([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}"
                            + "([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2})|(([0-9a-zA-Z][_-]?)+)$)|([0-9]{12}:(inference-profile|"
                            + "application-inference-profile)/[a-zA-Z0-9-:.]+$)))|([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})"
                            + "([:][a-z0-9-]{1,63}){0,2})|(([0-9a-zA-Z][_-]?)+)");
    private static final Pattern TAG = Pattern.compile("[a-zA-Z0-9\\s._:/=+@-]*");
    private static final Pattern JOB_ID =
            Pattern.compile(
                    "((arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job/)?[a-z0-9]{12})");
    private static final Set<String> CREATE_MEMBERS =
            Set.of(
                    "jobName",
                    "roleArn",
                    "clientRequestToken",
                    "modelId",
                    "inputDataConfig",
                    "outputDataConfig",
                    "vpcConfig",
                    "timeoutDurationInHours",
                    "tags",
                    "modelInvocationType");
    private static final Set<String> STATUSES =
            Set.of(
                    "Submitted",
                    "InProgress",
                    "Completed",
                    "Failed",
                    "Stopping",
                    "Stopped",
                    "PartiallyCompleted",
                    "Expired",
                    "Validating",
                    "Scheduled");

    private final HttpServer server;
    private final S3Client s3;
    private final Clock clock;
    private final String region;
    private final String account;
    private final Random random;
    private final int minRecords;
    private final int maxRecords;
    private volatile Duration stepDuration;
    private final Map<String, Job> jobs = Collections.synchronizedMap(new LinkedHashMap<>());
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private final List<RecordFault> recordFaults = new CopyOnWriteArrayList<>();
    private final Map<String, int[]> callFaults = new HashMap<>();
    private final Map<String, SlowCalls> slowCalls = new HashMap<>();
    private int expireNext;
    private int partialNext;
    private double partialFraction;
    private int createCalls;
    private int runtimeCalls;

    /**
     * One exchange as it crossed the wire, for tests that check both sides against the service
     * model.
     */
    public record Recorded(
            String operation,
            String method,
            String path,
            String query,
            String requestBody,
            int status,
            String responseBody) {}

    private record RecordFault(Predicate<String> ids, int code, String message) {}

    private static final class Job {
        final String id;
        final String arn;
        final ObjectNode request;
        final Instant submitTime;
        String status = "Submitted";
        String message;
        Instant lastStep;
        Instant lastModified;
        Instant endTime;
        long total;
        long processed;
        long success;
        long errors;
        boolean expire;
        double partial = 1.0;
        Damage damage;
        boolean stopRequested;
        List<String> inputKeys = List.of();

        Job(String id, String arn, ObjectNode request, Instant now) {
            this.id = id;
            this.arn = arn;
            this.request = request;
            this.submitTime = now;
            this.lastStep = now;
            this.lastModified = now;
        }
    }

    private BedrockSimulator(Builder b) throws IOException {
        this.s3 = b.s3;
        this.clock = b.clock;
        this.region = b.region;
        this.account = b.account;
        this.stepDuration = b.stepDuration;
        this.random = new Random(b.seed);
        this.minRecords = b.minRecords;
        this.maxRecords = b.maxRecords;
        this.server = SimHttp.startLoopback(b.port, "/", "bedrock-sim", this::handle);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private int port;
        private S3Client s3;
        private Clock clock = Clock.systemUTC();
        private String region = "us-east-1";
        private String account = ACCOUNT;
        private Duration stepDuration = Duration.ofSeconds(1);
        private long seed = 42;
        private int minRecords = 100;
        private int maxRecords = 50_000;

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** The S3 client the simulated service role reads input and writes output with. */
        public Builder s3(S3Client s3) {
            this.s3 = s3;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public Builder region(String region) {
            this.region = region;
            return this;
        }

        /** The account in the job ARNs: the caller's, so IAM grants on its jobs match them. */
        public Builder account(String account) {
            this.account = account;
            return this;
        }

        public Builder stepDuration(Duration stepDuration) {
            this.stepDuration = stepDuration;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** The quota "Minimum number of records per batch inference job". */
        public Builder minRecords(int minRecords) {
            this.minRecords = minRecords;
            return this;
        }

        /** The quota "Records per batch inference job". */
        public Builder maxRecords(int maxRecords) {
            this.maxRecords = maxRecords;
            return this;
        }

        public BedrockSimulator start() {
            if (s3 == null) {
                throw new IllegalStateException(
                        "the Bedrock simulator needs an S3 client (builder.s3)");
            }
            try {
                return new BedrockSimulator(this);
            } catch (IOException e) {
                throw new UncheckedIOException("the Bedrock simulator did not start", e);
            }
        }
    }

    /** The endpoint both SDK clients (bedrock and bedrockruntime) take as endpointOverride. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    // ---- controls ----

    /** Records whose recordId matches end with {@code error {errorCode, errorMessage}}. */
    public void failRecords(Predicate<String> recordIds, int errorCode, String message) {
        recordFaults.add(new RecordFault(recordIds, errorCode, message));
    }

    /**
     * The next {@code count} creates take effect, and their answer is lost: status 0 closes the
     * connection without an answer, 200 sends the answer cut short, any other status replaces it
     * with that error. The SDK's own retries then meet the job made by the first call.
     */
    public synchronized void loseNextCreateAnswers(int count, int status) {
        for (int i = 0; i < count; i++) {
            lostCreates.add(status);
        }
    }

    private synchronized int takeLostCreate() {
        Integer status = lostCreates.poll();
        return status == null ? -1 : status;
    }

    /**
     * The next job created leaves the output lines of {@code missing} out (still counted as
     * processed) and writes those of {@code unreadable} cut short.
     */
    public synchronized void damageNextResults(Set<String> missing, Set<String> unreadable) {
        damageNext = new Damage(Set.copyOf(missing), Set.copyOf(unreadable));
    }

    private record Damage(Set<String> missing, Set<String> unreadable) {}

    private final java.util.ArrayDeque<Integer> lostCreates = new java.util.ArrayDeque<>();
    private Damage damageNext;

    /** The next {@code count} jobs expire while Scheduled, without output. */
    public synchronized void expireNextJobs(int count) {
        expireNext = count;
    }

    /**
     * The next {@code count} jobs process only this fraction of records and end PartiallyCompleted.
     */
    public synchronized void partiallyCompleteNextJobs(int count, double fraction) {
        partialNext = count;
        partialFraction = fraction;
    }

    /**
     * The next {@code count} calls of an operation answer {@code status} with the error Bedrock
     * sends for it (429 ThrottlingException, 500 InternalServerException, 400
     * ServiceQuotaExceededException). Operations: create, get, list, stop, invoke, converse.
     */
    public synchronized void failNextCalls(String operation, int status, int count) {
        callFaults.put(operation, new int[] {status, count});
    }

    /**
     * The next {@code count} calls of an operation (invoke, converse, ...) are slow: each is run
     * and recorded at once, as the model runs (and bills) as soon as the call arrives, and its
     * answer is held back for {@code delay} of real time, so a client that gives up early has lost
     * an answer to a call that took effect. This knob sleeps because it stands for the wire; tests
     * use it with a client timeout well below {@code delay}, never to measure a duration.
     */
    public synchronized void slowNextCalls(String operation, Duration delay, int count) {
        slowCalls.put(operation, new SlowCalls(delay, count));
    }

    private record SlowCalls(Duration delay, int count) {}

    private synchronized Duration takeSlow(String operation) {
        SlowCalls s = slowCalls.get(operation);
        if (s == null || s.count() <= 0) {
            return Duration.ZERO;
        }
        slowCalls.put(operation, new SlowCalls(s.delay(), s.count() - 1));
        return s.delay();
    }

    /** Calls of an operation as they arrived, faulted and slow ones included. */
    public int calls(String operation) {
        return (int) requests.stream().filter(r -> operation.equals(r.operation())).count();
    }

    public void setStepDuration(Duration stepDuration) {
        this.stepDuration = stepDuration;
    }

    // ---- observability ----

    public synchronized int createCalls() {
        return createCalls;
    }

    public synchronized int runtimeCalls() {
        return runtimeCalls;
    }

    /** Distinct jobs the service holds. */
    public int jobCount() {
        return jobs.size();
    }

    public String status(String jobId) {
        synchronized (jobs) {
            Job j = jobs.get(jobId);
            return j == null ? null : j.status;
        }
    }

    public List<Recorded> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    // ---- HTTP ----

    private record Answer(int status, String errorType, String body) {
        static Answer ok(JsonNode body) {
            return new Answer(200, null, body.toString());
        }

        static Answer error(int status, String type, String message) {
            ObjectNode n = JSON.createObjectNode();
            n.put("message", message);
            return new Answer(status, type, n.toString());
        }
    }

    private static final class Refusal extends RuntimeException {
        final Answer answer;

        Refusal(int status, String type, String message) {
            super(message, null, false, false);
            this.answer = Answer.error(status, type, message);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        String rawPath = ex.getRequestURI().getRawPath();
        String query = ex.getRequestURI().getRawQuery();
        byte[] body = ex.getRequestBody().readAllBytes();
        String text = new String(body, StandardCharsets.UTF_8);
        String[] seg = rawPath.substring(1).split("/");
        String operation = operationOf(method, seg);
        Answer answer;
        try {
            if (operation == null) {
                throw new Refusal(
                        404,
                        "UnknownOperationException",
                        "no operation at " + method + " " + rawPath);
            }
            checkSigned(ex);
            injectedFault(operation);
            answer =
                    switch (operation) {
                        case "create" -> create(json(text, ex));
                        case "get" -> get(decode(seg[1]));
                        case "list" -> list(queryOf(query));
                        case "stop" -> stop(decode(seg[1]));
                        case "invoke" -> runtime(decode(seg[1]), json(text, ex), false);
                        case "converse" -> runtime(decode(seg[1]), json(text, ex), true);
                        default -> throw new IllegalStateException(operation);
                    };
        } catch (Refusal r) {
            answer = r.answer;
        } catch (RuntimeException e) {
            answer = Answer.error(500, "InternalServerException", "the simulator failed: " + e);
        }
        int lost = answer.status == 200 && "create".equals(operation) ? takeLostCreate() : -1;
        if (lost > 0 && lost != 200) {
            // The job exists; the answer that says so is replaced by the edge's error.
            answer = Answer.error(lost, "InternalServerException", "injected lost answer");
        }
        requests.add(
                new Recorded(
                        operation,
                        method,
                        rawPath,
                        query,
                        text,
                        lost == 0 ? 0 : answer.status,
                        answer.body));
        Duration slow = operation == null ? Duration.ZERO : takeSlow(operation);
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
        byte[] out = answer.body.getBytes(StandardCharsets.UTF_8);
        if (lost == 200) {
            out = java.util.Arrays.copyOf(out, out.length / 3);
        }
        ex.getResponseHeaders().set("x-amzn-RequestId", java.util.UUID.randomUUID().toString());
        if (answer.errorType != null) {
            ex.getResponseHeaders().set("x-amzn-ErrorType", answer.errorType);
        }
        SimHttp.send(ex, answer.status, "application/json", out);
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
            throw new Refusal(403, "AccessDeniedException", "Missing Authentication Token");
        }
        if (!auth.contains("/" + region + "/bedrock/aws4_request")) {
            throw new Refusal(
                    403,
                    "AccessDeniedException",
                    "Credential should be scoped to region "
                            + region
                            + " and service bedrock: "
                            + auth.replaceAll("Signature=.*", ""));
        }
        if (ex.getRequestHeaders().getFirst("X-Amz-Date") == null) {
            throw new Refusal(403, "AccessDeniedException", "missing X-Amz-Date");
        }
    }

    private synchronized void injectedFault(String operation) {
        int[] f = callFaults.get(operation);
        if (f == null || f[1] <= 0) {
            return;
        }
        f[1]--;
        String type =
                switch (f[0]) {
                    case 429 -> "ThrottlingException";
                    case 400 -> "ServiceQuotaExceededException";
                    default -> "InternalServerException";
                };
        throw new Refusal(f[0], type, "injected " + type + " for " + operation);
    }

    private static ObjectNode json(String text, HttpExchange ex) {
        String ct = ex.getRequestHeaders().getFirst("Content-Type");
        if (ct == null || !ct.startsWith("application/json")) {
            throw new Refusal(
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
        throw new Refusal(400, "ValidationException", "the request body is not a JSON object");
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

    // ---- control plane ----

    private Answer create(ObjectNode r) {
        synchronized (this) {
            createCalls++;
        }
        List<String> problems = new ArrayList<>();
        r.fieldNames()
                .forEachRemaining(
                        f -> {
                            if (!CREATE_MEMBERS.contains(f)) {
                                problems.add("unknown member '" + f + "'");
                            }
                        });
        requireMatch(problems, r, "jobName", JOB_NAME, 63);
        requireMatch(problems, r, "roleArn", ROLE_ARN, 2048);
        requireMatch(problems, r, "modelId", MODEL_ID, 2048);
        if (r.has("clientRequestToken")) {
            requireMatch(problems, r, "clientRequestToken", TOKEN, 256);
        }
        String inputUri =
                r.path("inputDataConfig").path("s3InputDataConfig").path("s3Uri").asText(null);
        String outputUri =
                r.path("outputDataConfig").path("s3OutputDataConfig").path("s3Uri").asText(null);
        if (inputUri == null || !S3_URI.matcher(inputUri).matches() || inputUri.length() > 1024) {
            problems.add(
                    "inputDataConfig.s3InputDataConfig.s3Uri must match the S3Uri pattern, was "
                            + inputUri);
        }
        if (r.path("inputDataConfig").size() != 1 || r.path("outputDataConfig").size() != 1) {
            problems.add(
                    "inputDataConfig and outputDataConfig are unions: exactly one member each");
        }
        JsonNode format = r.path("inputDataConfig").path("s3InputDataConfig").get("s3InputFormat");
        if (format != null && !format.asText().equals("JSONL")) {
            problems.add("s3InputFormat must be JSONL");
        }
        if (outputUri == null
                || !S3_URI.matcher(outputUri).matches()
                || outputUri.length() > 1024) {
            problems.add(
                    "outputDataConfig.s3OutputDataConfig.s3Uri must match the S3Uri pattern, was "
                            + outputUri);
        }
        JsonNode timeout = r.get("timeoutDurationInHours");
        if (timeout != null
                && (!timeout.isInt() || timeout.asInt() < 24 || timeout.asInt() > 168)) {
            problems.add(
                    "timeoutDurationInHours must be an integer from 24 to 168, was " + timeout);
        }
        JsonNode type = r.get("modelInvocationType");
        if (type != null
                && !type.asText().equals("InvokeModel")
                && !type.asText().equals("Converse")) {
            problems.add("modelInvocationType must be InvokeModel or Converse, was " + type);
        }
        JsonNode tags = r.get("tags");
        if (tags != null) {
            if (!tags.isArray() || tags.size() > 200) {
                problems.add("tags must be a list of at most 200");
            } else {
                for (JsonNode t : tags) {
                    String k = t.path("key").asText(null);
                    String v = t.path("value").asText(null);
                    if (k == null
                            || k.isEmpty()
                            || k.length() > 128
                            || !TAG.matcher(k).matches()
                            || v == null
                            || v.length() > 256
                            || !TAG.matcher(v).matches()) {
                        problems.add("tag " + t + " breaks the TagKey/TagValue constraints");
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new Refusal(400, "ValidationException", String.join("; ", problems));
        }
        synchronized (jobs) {
            String token = r.path("clientRequestToken").asText(null);
            for (Job j : jobs.values()) {
                if (token != null
                        && token.equals(j.request.path("clientRequestToken").asText(null))) {
                    if (!j.request.equals(r)) {
                        throw new Refusal(
                                400,
                                "ConflictException",
                                "the clientRequestToken was used before with different parameters");
                    }
                    ObjectNode same = JSON.createObjectNode();
                    same.put("jobArn", j.arn);
                    return Answer.ok(same);
                }
                if (j.request.path("jobName").asText().equals(r.path("jobName").asText())) {
                    throw new Refusal(
                            400,
                            "ConflictException",
                            "a job named " + r.path("jobName").asText() + " already exists");
                }
            }
            String id = newId();
            String arn =
                    "arn:aws:bedrock:" + region + ":" + account + ":model-invocation-job/" + id;
            Job job = new Job(id, arn, r.deepCopy(), clock.instant());
            synchronized (this) {
                if (expireNext > 0) {
                    expireNext--;
                    job.expire = true;
                } else if (partialNext > 0) {
                    partialNext--;
                    job.partial = partialFraction;
                }
                job.damage = damageNext;
                damageNext = null;
            }
            jobs.put(id, job);
            ObjectNode out = JSON.createObjectNode();
            out.put("jobArn", arn);
            return Answer.ok(out);
        }
    }

    private static void requireMatch(
            List<String> problems, ObjectNode r, String member, Pattern pattern, int max) {
        JsonNode v = r.get(member);
        if (v == null || !v.isTextual()) {
            problems.add(member + " is required");
        } else if (v.asText().length() > max || !pattern.matcher(v.asText()).matches()) {
            problems.add(
                    "Value '"
                            + v.asText()
                            + "' at '"
                            + member
                            + "' failed to satisfy constraint: Member must satisfy "
                            + "regular expression pattern: "
                            + pattern.pattern());
        }
    }

    private String newId() {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder sb = new StringBuilder();
        synchronized (random) {
            for (int i = 0; i < 12; i++) {
                sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
        }
        return sb.toString();
    }

    private Job find(String identifier) {
        if (!JOB_ID.matcher(identifier).matches()) {
            throw new Refusal(
                    400,
                    "ValidationException",
                    "Value '"
                            + identifier
                            + "' at 'jobIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern");
        }
        String id = identifier.substring(identifier.lastIndexOf('/') + 1);
        Job j = jobs.get(id);
        if (j == null || identifier.contains(":") && !identifier.equals(j.arn)) {
            throw new Refusal(
                    404,
                    "ResourceNotFoundException",
                    "The specified job " + identifier + " was not found");
        }
        return j;
    }

    private Answer get(String identifier) {
        Job j = find(identifier);
        synchronized (j) {
            advance(j);
            return Answer.ok(describe(j));
        }
    }

    private Answer list(Map<String, String> q) {
        int max = 1000;
        if (q.containsKey("maxResults")) {
            try {
                max = Integer.parseInt(q.get("maxResults"));
            } catch (NumberFormatException e) {
                max = -1;
            }
            if (max < 1 || max > 1000) {
                throw new Refusal(400, "ValidationException", "maxResults must be 1 to 1000");
            }
        }
        String status = q.get("statusEquals");
        if (status != null && !STATUSES.contains(status)) {
            throw new Refusal(
                    400,
                    "ValidationException",
                    "statusEquals '" + status + "' is not a job status");
        }
        String order = q.getOrDefault("sortOrder", "Descending");
        if (!order.equals("Ascending") && !order.equals("Descending")) {
            throw new Refusal(
                    400, "ValidationException", "sortOrder must be Ascending or Descending");
        }
        List<Job> all;
        synchronized (jobs) {
            all = new ArrayList<>(jobs.values());
        }
        if (order.equals("Descending")) {
            Collections.reverse(all);
        }
        List<ObjectNode> matching = new ArrayList<>();
        for (Job j : all) {
            synchronized (j) {
                advance(j);
                if ((status == null || status.equals(j.status))
                        && (!q.containsKey("nameContains")
                                || j.request
                                        .path("jobName")
                                        .asText()
                                        .contains(q.get("nameContains")))) {
                    matching.add(describe(j));
                }
            }
        }
        int from = 0;
        if (q.containsKey("nextToken")) {
            try {
                from = Integer.parseInt(q.get("nextToken").substring(1));
            } catch (RuntimeException e) {
                throw new Refusal(
                        400, "ValidationException", "nextToken is not one this service gave");
            }
        }
        ObjectNode out = JSON.createObjectNode();
        ArrayNode summaries = out.putArray("invocationJobSummaries");
        int to = Math.min(matching.size(), from + max);
        for (int i = from; i < to; i++) {
            summaries.add(matching.get(i));
        }
        if (to < matching.size()) {
            out.put("nextToken", "t" + to);
        }
        return Answer.ok(out);
    }

    private Answer stop(String identifier) {
        Job j = find(identifier);
        synchronized (j) {
            advance(j);
            switch (j.status) {
                case "Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired" ->
                        throw new Refusal(
                                400,
                                "ValidationException",
                                "job " + j.id + " is " + j.status + " and cannot be stopped");
                default -> {
                    j.stopRequested = true;
                    j.status = "Stopping";
                    j.lastStep = clock.instant();
                    j.lastModified = j.lastStep;
                }
            }
        }
        return Answer.ok(JSON.createObjectNode());
    }

    private static final DateTimeFormatter ISO = DateTimeFormatter.ISO_INSTANT;

    private ObjectNode describe(Job j) {
        ObjectNode n = JSON.createObjectNode();
        n.put("jobArn", j.arn);
        n.put("jobName", j.request.path("jobName").asText());
        n.put("modelId", j.request.path("modelId").asText());
        if (j.request.has("clientRequestToken")) {
            n.put("clientRequestToken", j.request.path("clientRequestToken").asText());
        }
        n.put("roleArn", j.request.path("roleArn").asText());
        n.put("status", j.status);
        if (j.message != null) {
            n.put("message", j.message);
        }
        n.put("submitTime", ISO.format(j.submitTime));
        n.put("lastModifiedTime", ISO.format(j.lastModified));
        if (j.endTime != null) {
            n.put("endTime", ISO.format(j.endTime));
        }
        n.set("inputDataConfig", j.request.get("inputDataConfig"));
        n.set("outputDataConfig", j.request.get("outputDataConfig"));
        int hours = j.request.path("timeoutDurationInHours").asInt(24);
        n.put("timeoutDurationInHours", hours);
        n.put("jobExpirationTime", ISO.format(j.submitTime.plus(Duration.ofHours(hours))));
        n.put("modelInvocationType", j.request.path("modelInvocationType").asText("InvokeModel"));
        n.put("totalRecordCount", j.total);
        n.put("processedRecordCount", j.processed);
        n.put("successRecordCount", j.success);
        n.put("errorRecordCount", j.errors);
        return n;
    }

    /** One status step per stepDuration since the last, as many as have passed. */
    private void advance(Job j) {
        Instant now = clock.instant();
        while (!terminal(j.status) && !now.isBefore(j.lastStep.plus(stepDuration))) {
            j.lastStep = j.lastStep.plus(stepDuration);
            step(j);
            j.lastModified = j.lastStep;
        }
    }

    private static boolean terminal(String status) {
        return switch (status) {
            case "Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired" -> true;
            default -> false;
        };
    }

    private void step(Job j) {
        switch (j.status) {
            case "Submitted" -> j.status = "Validating";
            case "Validating" -> validate(j);
            case "Scheduled" -> {
                if (j.expire) {
                    end(j, "Expired", "the job was scheduled but did not begin before its timeout");
                } else {
                    j.status = "InProgress";
                }
            }
            case "InProgress" -> run(j);
            case "Stopping" -> end(j, "Stopped", null);
            default -> throw new IllegalStateException(j.status);
        }
    }

    private void end(Job j, String status, String message) {
        j.status = status;
        j.message = message;
        j.endTime = j.lastStep;
    }

    /**
     * What Bedrock's validation checks: the role reaches the input, JSONL files of records, the
     * quotas.
     */
    private void validate(Job j) {
        String uri =
                j.request.path("inputDataConfig").path("s3InputDataConfig").path("s3Uri").asText();
        Location in = Location.of(uri);
        List<String> keys = new ArrayList<>();
        try {
            for (S3Object o :
                    s3.listObjectsV2Paginator(l -> l.bucket(in.bucket).prefix(in.key)).contents()) {
                if (o.key().endsWith(".jsonl")
                        && (o.key().equals(in.key) || in.key.isEmpty() || in.key.endsWith("/"))) {
                    keys.add(o.key());
                }
            }
        } catch (RuntimeException e) {
            end(
                    j,
                    "Failed",
                    "The service role cannot access the input location "
                            + uri
                            + ": "
                            + e.getMessage());
            return;
        }
        if (keys.isEmpty()) {
            end(j, "Failed", "No .jsonl input files were found at " + uri);
            return;
        }
        long total = 0;
        for (String key : keys) {
            long n = 0;
            for (String line : lines(in.bucket, key)) {
                if (line.isBlank()) {
                    continue;
                }
                n++;
                JsonNode record;
                try {
                    record = JSON.readTree(line);
                } catch (IOException e) {
                    end(j, "Failed", "Invalid JSON at line " + n + " of " + key);
                    return;
                }
                if (!record.isObject()
                        || !record.path("modelInput").isObject()
                        || record.has("recordId") && !record.get("recordId").isTextual()) {
                    end(
                            j,
                            "Failed",
                            "Line " + n + " of " + key + " is not a record {recordId, modelInput}");
                    return;
                }
            }
            total += n;
        }
        if (total < minRecords) {
            end(
                    j,
                    "Failed",
                    "The job has "
                            + total
                            + " records, fewer than the minimum of "
                            + minRecords
                            + " records per batch inference job (quota 'Minimum number of records per batch inference job')");
            return;
        }
        if (total > maxRecords) {
            end(
                    j,
                    "Failed",
                    "The job has "
                            + total
                            + " records, more than the "
                            + maxRecords
                            + " allowed (quota 'Records per batch inference job')");
            return;
        }
        j.total = total;
        j.inputKeys = keys;
        j.status = "Scheduled";
    }

    /** Runs every record (or the chosen fraction) and writes the output files and the manifest. */
    private void run(Job j) {
        Location in =
                Location.of(
                        j.request
                                .path("inputDataConfig")
                                .path("s3InputDataConfig")
                                .path("s3Uri")
                                .asText());
        Location out =
                Location.of(
                        j.request
                                .path("outputDataConfig")
                                .path("s3OutputDataConfig")
                                .path("s3Uri")
                                .asText());
        String folder =
                (out.key.isEmpty() || out.key.endsWith("/") ? out.key : out.key + "/") + j.id + "/";
        boolean converse =
                j.request.path("modelInvocationType").asText("InvokeModel").equals("Converse");
        String model = j.request.path("modelId").asText();
        long inTokens = 0;
        long outTokens = 0;
        for (String key : j.inputKeys) {
            List<String> records =
                    new ArrayList<>(
                            lines(in.bucket, key).stream().filter(l -> !l.isBlank()).toList());
            synchronized (random) {
                Collections.shuffle(records, random);
            }
            int runCount = (int) Math.floor(records.size() * j.partial);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < runCount; i++) {
                ObjectNode record = (ObjectNode) readTree(records.get(i));
                ObjectNode line = JSON.createObjectNode();
                String id =
                        record.hasNonNull("recordId")
                                ? record.get("recordId").asText()
                                : newId().substring(0, 11).toUpperCase();
                line.put("recordId", id);
                line.set("modelInput", record.get("modelInput"));
                RecordFault fault =
                        recordFaults.stream().filter(f -> f.ids.test(id)).findFirst().orElse(null);
                String invalid =
                        converse
                                ? ModelAnswers.converseProblem(record.get("modelInput"))
                                : ModelAnswers.nativeProblem(model, record.get("modelInput"));
                if (fault != null || invalid != null) {
                    ObjectNode e = line.putObject("error");
                    e.put("errorCode", fault != null ? fault.code : 400);
                    e.put("errorMessage", fault != null ? fault.message : invalid);
                    j.errors++;
                } else {
                    JsonNode output =
                            converse
                                    ? ModelAnswers.converse(record.get("modelInput"))
                                    : ModelAnswers.nativeBody(model, record.get("modelInput"));
                    line.set("modelOutput", output);
                    inTokens +=
                            output.path("usage")
                                    .path(converse ? "inputTokens" : "input_tokens")
                                    .asLong();
                    outTokens +=
                            output.path("usage")
                                    .path(converse ? "outputTokens" : "output_tokens")
                                    .asLong();
                    j.success++;
                }
                j.processed++;
                if (j.damage != null && j.damage.missing().contains(id)) {
                    continue;
                }
                String text = line.toString();
                if (j.damage != null && j.damage.unreadable().contains(id)) {
                    text = text.substring(0, text.length() / 3);
                }
                sb.append(text).append('\n');
            }
            String name = key.substring(key.lastIndexOf('/') + 1);
            s3.putObject(
                    p -> p.bucket(out.bucket).key(folder + name + ".out"),
                    RequestBody.fromString(sb.toString()));
        }
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("totalRecordCount", j.total);
        manifest.put("processedRecordCount", j.processed);
        manifest.put("successRecordCount", j.success);
        manifest.put("errorRecordCount", j.errors);
        manifest.put("inputTokenCount", inTokens);
        manifest.put("outputTokenCount", outTokens);
        s3.putObject(
                p -> p.bucket(out.bucket).key(folder + "manifest.json.out"),
                RequestBody.fromString(manifest.toString()));
        if (j.processed < j.total) {
            end(
                    j,
                    "PartiallyCompleted",
                    "Not all records could be processed before the job's timeout");
        } else {
            end(j, "Completed", null);
        }
    }

    // ---- runtime ----

    private Answer runtime(String model, ObjectNode body, boolean converse) {
        synchronized (this) {
            runtimeCalls++;
        }
        if (!MODEL_ID.matcher(model).matches()) {
            throw new Refusal(
                    400, "ValidationException", "The provided model identifier is invalid.");
        }
        if (converse) {
            String problem = ModelAnswers.converseProblem(body);
            if (problem != null) {
                throw new Refusal(400, "ValidationException", problem);
            }
            return Answer.ok(ModelAnswers.converse(body));
        }
        String problem = ModelAnswers.nativeProblem(model, body);
        if (problem != null) {
            throw new Refusal(400, "ValidationException", problem);
        }
        return Answer.ok(ModelAnswers.nativeBody(model, body));
    }

    // ---- S3 ----

    private record Location(String bucket, String key) {
        static Location of(String uri) {
            String rest = uri.substring("s3://".length());
            int slash = rest.indexOf('/');
            return slash < 0
                    ? new Location(rest, "")
                    : new Location(rest.substring(0, slash), rest.substring(slash + 1));
        }
    }

    private List<String> lines(String bucket, String key) {
        try (InputStream in = s3.getObject(g -> g.bucket(bucket).key(key));
                BufferedReader r =
                        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            return r.lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode readTree(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
