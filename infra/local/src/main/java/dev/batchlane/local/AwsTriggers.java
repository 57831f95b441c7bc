package dev.batchlane.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.aws.dynamo.DynamoJobStore;
import dev.batchlane.aws.dynamo.StreamPump;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.lane.LaneNames;
import dev.batchlane.local.iam.EnforcingProxy;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The parts AWS plays between the lane's pieces: the S3 notification of each new object to ingest,
 * or to enqueue for a drop under queue/ (with Lambda's retries of an asynchronous invocation), the
 * poll schedule, the table's stream filtered to complete (with the event source mapping's retries
 * and dead-letter queue), and the intake queue's messages to enqueue ({@link SqsEventSource}).
 */
final class AwsTriggers implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BUCKET = Stack.BUCKET;
    private static final String REGION = dev.batchlane.aws.LocalAws.REGION.id();

    /** Lambda retries a failed asynchronous (S3) invocation twice. */
    private static final int ASYNC_ATTEMPTS = 3;

    private static final int STREAM_ATTEMPTS = 5;

    private final Path home;
    private final Consumer<String> log;
    private final S3Client s3;
    private final StreamPump pump;
    private final Map<String, RuntimeApi> apis;
    private final EnforcingProxy iam;

    /** Jobs whose ingest failed every attempt, and the last error: the run cannot progress. */
    private final Map<String, String> ingestFailures = new ConcurrentHashMap<>();

    private final Set<String> delivered = ConcurrentHashMap.newKeySet();
    private volatile SqsEventSource intake;
    private final ScheduledExecutorService wiring =
            Executors.newScheduledThreadPool(
                    4,
                    r -> {
                        Thread t = new Thread(r, "local-wiring");
                        t.setDaemon(true);
                        return t;
                    });

    AwsTriggers(
            Path home,
            Consumer<String> log,
            S3Client s3,
            StreamPump pump,
            Map<String, RuntimeApi> apis,
            EnforcingProxy iam) {
        this.home = home;
        this.log = log;
        this.s3 = s3;
        this.pump = pump;
        this.apis = apis;
        this.iam = iam;
    }

    /** The intake queue's mapping to enqueue, polled from {@link #start} on. */
    void sqsEventSource(SqsEventSource source) {
        this.intake = source;
    }

    void start(Duration pollRate) {
        wiring.scheduleWithFixedDelay(this::deliverS3Events, 0, 500, TimeUnit.MILLISECONDS);
        if (intake != null) {
            // Each poll long-polls for a second, so the next one follows at once.
            wiring.scheduleWithFixedDelay(this::deliverSqs, 0, 10, TimeUnit.MILLISECONDS);
        }
        wiring.scheduleWithFixedDelay(
                this::firePoll, pollRate.toMillis(), pollRate.toMillis(), TimeUnit.MILLISECONDS);
        wiring.scheduleWithFixedDelay(this::deliverStream, 500, 500, TimeUnit.MILLISECONDS);
    }

    /** Intake queue → enqueue: one receive, invocation and delete. */
    void deliverSqs() {
        try {
            intake.pollOnce();
        } catch (RuntimeException e) {
            if (!wiring.isShutdown()) {
                log.accept("SQS event source: " + e.getMessage());
            }
        }
    }

    /**
     * S3 → ingest: one ObjectCreated event per new object (key and ETag) under inbox/, cancel/,
     * resume/ and redrive/; S3 → enqueue for each one under queue/, when the template has enqueue
     * (the construct's second notification).
     */
    void deliverS3Events() {
        try {
            List<String> prefixes =
                    new java.util.ArrayList<>(
                            List.of("inbox/", "cancel/", Keys.RESUME, Keys.REDRIVE));
            if (apis.containsKey(LaneNames.HANDLER_ENQUEUE)) {
                prefixes.add(LaneNames.PREFIX_QUEUE);
            }
            var objects =
                    prefixes.stream()
                            .flatMap(
                                    prefix ->
                                            s3
                                                    .listObjectsV2Paginator(
                                                            b -> b.bucket(BUCKET).prefix(prefix))
                                                    .contents()
                                                    .stream())
                            .toList();
            for (S3Object o : objects) {
                String identity = o.key() + "@" + o.eTag();
                if (o.key().endsWith("/") || !delivered.add(identity)) {
                    continue;
                }
                String event = s3Event(o);
                if (o.key().startsWith(LaneNames.PREFIX_QUEUE)) {
                    invokeWithRetries(LaneNames.HANDLER_ENQUEUE, event, ASYNC_ATTEMPTS);
                    continue;
                }
                String error = invokeWithRetries("ingest", event, ASYNC_ATTEMPTS);
                if (error != null && o.key().startsWith("inbox/")) {
                    ingestFailed(
                            Keys.jobId(BUCKET, o.key(), o.eTag().replace("\"", "")),
                            o.key(),
                            error);
                }
                var resumed = Keys.jobIdUnder(Keys.RESUME, o.key());
                if (error == null && resumed.isPresent()) {
                    ingestResumed(resumed.get());
                }
            }
        } catch (RuntimeException e) {
            if (!wiring.isShutdown()) {
                log.accept("S3 event delivery: " + e.getMessage());
            }
        }
    }

    /**
     * EventBridge → poll, at the configured rate; a tick that finds poll busy is skipped, as on
     * Lambda with concurrency 1.
     */
    void firePoll() {
        try {
            ObjectNode event = JSON.createObjectNode();
            event.put("version", "0");
            event.put("id", java.util.UUID.randomUUID().toString());
            event.put("detail-type", "Scheduled Event");
            event.put("source", "aws.events");
            event.put("time", Instant.now().toString());
            event.put("region", REGION);
            event.putArray("resources")
                    .add("arn:aws:events:" + REGION + ":000000000000:rule/batchlane-poll");
            event.putObject("detail");
            apis.get("poll").invokeAndWait(event.toString());
        } catch (RuntimeException e) {
            if (!wiring.isShutdown()) {
                log.accept("poll: " + e.getMessage());
            }
        }
    }

    /**
     * Table stream → complete, filtered like the deployed event-source mapping: shards that reached
     * ENDED.
     */
    void deliverStream() {
        try {
            for (String event : pump.drain(100)) {
                String filtered = endedOnly(event);
                if (filtered != null
                        && invokeWithRetries("complete", filtered, STREAM_ATTEMPTS) != null) {
                    deadLetter(filtered);
                }
            }
        } catch (RuntimeException e) {
            if (!wiring.isShutdown()) {
                log.accept("stream delivery: " + e.getMessage());
            }
        }
    }

    static String endedOnly(String event) {
        try {
            JsonNode root = JSON.readTree(event);
            ObjectNode out = JSON.createObjectNode();
            ArrayNode records = out.putArray("Records");
            for (JsonNode r : root.path("Records")) {
                JsonNode ddb = r.path("dynamodb");
                if ("shard".equals(ddb.at("/NewImage/type/S").asText())
                        && "ENDED".equals(ddb.at("/NewImage/status/S").asText())
                        && !"ENDED".equals(ddb.at("/OldImage/status/S").asText())) {
                    records.add(r);
                } else if ("job".equals(ddb.at("/NewImage/type/S").asText())
                        && "RUNNING".equals(ddb.at("/NewImage/status/S").asText())
                        && ddb.path("NewImage").has(DynamoJobStore.FINISH_REQUESTED)
                        && !ddb.path("OldImage").has(DynamoJobStore.FINISH_REQUESTED)) {
                    records.add(r);
                }
            }
            return records.isEmpty() ? null : out.toString();
        } catch (IOException e) {
            throw new IllegalStateException("unreadable stream event", e);
        }
    }

    /** Null when an attempt succeeded, else the last attempt's error. */
    private String invokeWithRetries(String function, String event, int attempts) {
        String error = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                apis.get(function).invokeAndWait(event);
                return null;
            } catch (RuntimeApi.FunctionError | IllegalStateException e) {
                error = e.getMessage();
                log.accept(
                        function
                                + " failed (attempt "
                                + attempt
                                + " of "
                                + attempts
                                + "): "
                                + abbreviate(error));
            }
        }
        return error;
    }

    /** Recorded here for 'run', and under .batchlane/failed/ for 'status' in another process. */
    private void ingestFailed(String jobId, String key, String error) {
        String reason =
                "ingest of "
                        + key
                        + " failed all "
                        + ASYNC_ATTEMPTS
                        + " attempts; last error: "
                        + abbreviate(error);
        ingestFailures.put(jobId, reason);
        try {
            Path dir = failedDir(home);
            java.nio.file.Files.createDirectories(dir);
            java.nio.file.Files.writeString(dir.resolve(jobId + ".txt"), reason);
        } catch (IOException e) {
            log.accept("could not record the failure of " + jobId + ": " + e.getMessage());
        }
    }

    static Path failedDir(Path home) {
        return home.resolve(".batchlane/failed");
    }

    /**
     * Where stream records that failed every attempt wait, like the deployment's dead-letter queue.
     */
    static Path deadLetterDir(Path home) {
        return home.resolve(".batchlane/dead-letter");
    }

    /**
     * A stream batch that failed all its attempts: kept under .batchlane/dead-letter/ with the jobs
     * it names, for './batchlane redrive' (on AWS the queue keeps the batch's stream coordinates).
     */
    private void deadLetter(String event) {
        try {
            Path dir = deadLetterDir(home);
            java.nio.file.Files.createDirectories(dir);
            Path file =
                    dir.resolve(
                            System.currentTimeMillis()
                                    + "-"
                                    + Long.toHexString(System.nanoTime())
                                    + ".json");
            java.nio.file.Files.writeString(file, event);
            log.accept(
                    "complete failed all "
                            + STREAM_ATTEMPTS
                            + " attempts; the records wait in "
                            + file
                            + " (./batchlane redrive)");
        } catch (IOException e) {
            log.accept("could not keep a failed stream batch: " + e.getMessage());
        }
    }

    /** A resume/<jobId> that ingest handled: the job's recorded ingest failure no longer holds. */
    private void ingestResumed(String jobId) {
        ingestFailures.remove(jobId);
        try {
            java.nio.file.Files.deleteIfExists(failedDir(home).resolve(jobId + ".txt"));
        } catch (IOException e) {
            log.accept("could not clear the failure of " + jobId + ": " + e.getMessage());
        }
    }

    private String s3Event(S3Object o) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode r = root.putArray("Records").addObject();
        r.put("eventVersion", "2.1");
        r.put("eventSource", "aws:s3");
        r.put("awsRegion", REGION);
        r.put("eventTime", Instant.now().toString());
        r.put("eventName", "ObjectCreated:Put");
        ObjectNode s3node = r.putObject("s3");
        s3node.put("s3SchemaVersion", "1.0");
        s3node.put("configurationId", "batchlane-inbox");
        ObjectNode bucket = s3node.putObject("bucket");
        bucket.put("name", BUCKET);
        bucket.put("arn", "arn:aws:s3:::" + BUCKET);
        ObjectNode object = s3node.putObject("object");
        // S3 URL-encodes the key in notifications (spaces as '+').
        object.put("key", URLEncoder.encode(o.key(), StandardCharsets.UTF_8).replace("%2F", "/"));
        object.put("size", o.size());
        object.put("eTag", o.eTag().replace("\"", ""));
        object.put("sequencer", Long.toHexString(System.nanoTime()));
        return root.toString();
    }

    private static String abbreviate(String s) {
        return s.length() > 400 ? s.substring(0, 400) + "…" : s;
    }

    /**
     * Why this job cannot progress, when the stack knows: its ingest failed every attempt, or a
     * call was denied.
     */
    java.util.Optional<String> failure(String jobId) {
        String failed = ingestFailures.get(jobId);
        if (failed == null && iam != null) {
            // A call the deployed role refuses fails on AWS however the local run goes on: stop at
            // it.
            failed =
                    iam.denials().stream()
                            .findFirst()
                            .map(
                                    o ->
                                            "IAM: "
                                                    + o.function()
                                                    + " was denied "
                                                    + o.action()
                                                    + " on "
                                                    + o.resource()
                                                    + " by its role in the template; on AWS this call fails with AccessDenied")
                            .orElse(null);
        }
        return java.util.Optional.ofNullable(failed);
    }

    @Override
    public void close() {
        wiring.shutdownNow();
    }
}
