package dev.batchlane.simulator.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The control plane's jobs: Create (checked member by member against the service model), Get, List
 * and Stop, and each job's run over the simulator's clock, reading its input from S3 and writing
 * its output there as Bedrock does.
 */
final class JobEngine {
    private static final ObjectMapper JSON = new ObjectMapper();

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
    static final Pattern MODEL_ID =
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

    final Map<String, Job> jobs = Collections.synchronizedMap(new LinkedHashMap<>());
    private final S3Client s3;
    private final Clock clock;
    private final String region;
    private final String account;
    private final Random random;
    private final int minRecords;
    private final int maxRecords;
    private final FaultPlan faults;
    volatile Duration stepDuration;
    private int createCalls;

    JobEngine(
            S3Client s3,
            Clock clock,
            String region,
            String account,
            Random random,
            int minRecords,
            int maxRecords,
            Duration stepDuration,
            FaultPlan faults) {
        this.s3 = s3;
        this.clock = clock;
        this.region = region;
        this.account = account;
        this.random = random;
        this.minRecords = minRecords;
        this.maxRecords = maxRecords;
        this.stepDuration = stepDuration;
        this.faults = faults;
    }

    synchronized int createCalls() {
        return createCalls;
    }

    Wire.Answer create(ObjectNode r) {
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
            throw new Wire.Refusal(400, "ValidationException", String.join("; ", problems));
        }
        synchronized (jobs) {
            String token = r.path("clientRequestToken").asText(null);
            for (Job j : jobs.values()) {
                if (token != null
                        && token.equals(j.request.path("clientRequestToken").asText(null))) {
                    if (!j.request.equals(r)) {
                        throw new Wire.Refusal(
                                400,
                                "ConflictException",
                                "the clientRequestToken was used before with different parameters");
                    }
                    ObjectNode same = JSON.createObjectNode();
                    same.put("jobArn", j.arn);
                    return Wire.Answer.ok(same);
                }
                if (j.request.path("jobName").asText().equals(r.path("jobName").asText())) {
                    throw new Wire.Refusal(
                            400,
                            "ConflictException",
                            "a job named " + r.path("jobName").asText() + " already exists");
                }
            }
            String id = newId();
            String arn =
                    "arn:aws:bedrock:" + region + ":" + account + ":model-invocation-job/" + id;
            Job job = new Job(id, arn, r.deepCopy(), clock.instant());
            faults.applyTo(job);
            jobs.put(id, job);
            ObjectNode out = JSON.createObjectNode();
            out.put("jobArn", arn);
            return Wire.Answer.ok(out);
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
            throw new Wire.Refusal(
                    400,
                    "ValidationException",
                    "Value '"
                            + identifier
                            + "' at 'jobIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern");
        }
        String id = identifier.substring(identifier.lastIndexOf('/') + 1);
        Job j = jobs.get(id);
        if (j == null || identifier.contains(":") && !identifier.equals(j.arn)) {
            throw new Wire.Refusal(
                    404,
                    "ResourceNotFoundException",
                    "The specified job " + identifier + " was not found");
        }
        return j;
    }

    Wire.Answer get(String identifier) {
        Job j = find(identifier);
        synchronized (j) {
            advance(j);
            return Wire.Answer.ok(describe(j));
        }
    }

    Wire.Answer list(Map<String, String> q) {
        int max = 1000;
        if (q.containsKey("maxResults")) {
            try {
                max = Integer.parseInt(q.get("maxResults"));
            } catch (NumberFormatException e) {
                max = -1;
            }
            if (max < 1 || max > 1000) {
                throw new Wire.Refusal(400, "ValidationException", "maxResults must be 1 to 1000");
            }
        }
        String status = q.get("statusEquals");
        if (status != null && !STATUSES.contains(status)) {
            throw new Wire.Refusal(
                    400,
                    "ValidationException",
                    "statusEquals '" + status + "' is not a job status");
        }
        String order = q.getOrDefault("sortOrder", "Descending");
        if (!order.equals("Ascending") && !order.equals("Descending")) {
            throw new Wire.Refusal(
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
                throw new Wire.Refusal(
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
        return Wire.Answer.ok(out);
    }

    Wire.Answer stop(String identifier) {
        Job j = find(identifier);
        synchronized (j) {
            advance(j);
            switch (j.status) {
                case "Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired" ->
                        throw new Wire.Refusal(
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
        return Wire.Answer.ok(JSON.createObjectNode());
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
        if (j.failure != null) {
            end(j, "Failed", j.failure);
            return;
        }
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
                FaultPlan.RecordFault fault =
                        faults.recordFaults.stream()
                                .filter(f -> f.ids().test(id))
                                .findFirst()
                                .orElse(null);
                String invalid =
                        converse
                                ? ModelAnswers.converseProblem(record.get("modelInput"))
                                : ModelAnswers.nativeProblem(model, record.get("modelInput"));
                if (fault != null || invalid != null) {
                    ObjectNode e = line.putObject("error");
                    e.put("errorCode", fault != null ? fault.code() : 400);
                    e.put("errorMessage", fault != null ? fault.message() : invalid);
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
