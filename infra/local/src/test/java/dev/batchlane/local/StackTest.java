package dev.batchlane.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local stack with the packaged functions in their own JVMs: a file put into the bucket is
 * picked up by the S3 event wiring, followed by the schedule, and completed through the table's
 * stream — nothing in this test calls a function itself.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StackTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Stack stack;
    private static final List<String> log = new ArrayList<>();

    @TempDir Path tmp;

    /**
     * ingest's values in the test's copy of the synthesized template: the stack must apply them.
     */
    static final int INGEST_MEMORY_MB = 1234;

    static final int INGEST_STORAGE_MB = 16;
    static final String MARKER = "-Dtemplate.marker=applied";

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        Path home = Path.of("../..").toAbsolutePath().normalize();
        // A copy of the template infra/cdk synthesized, with ingest's memory, /tmp and JVM options
        // changed.
        Path copy =
                templateWithIngest(
                        dir,
                        p -> {
                            p.put("MemorySize", INGEST_MEMORY_MB);
                            ((ObjectNode) p.path("EphemeralStorage"))
                                    .put("Size", INGEST_STORAGE_MB);
                            ObjectNode vars = (ObjectNode) p.at("/Environment/Variables");
                            vars.put(
                                    "JAVA_TOOL_OPTIONS",
                                    vars.path("JAVA_TOOL_OPTIONS").asText() + " " + MARKER);
                        });
        stack =
                Stack.start(
                        Stack.Options.of(
                                        home,
                                        Duration.ofMillis(500),
                                        40,
                                        line -> {
                                            synchronized (log) {
                                                log.add(line);
                                            }
                                        })
                                .withTemplate(copy));
    }

    /**
     * A copy of the synthesized template in {@code dir} with the ingest function's properties
     * changed.
     */
    static Path templateWithIngest(Path dir, java.util.function.Consumer<ObjectNode> change)
            throws Exception {
        ObjectNode template = (ObjectNode) JSON.readTree(LaneTemplateTest.TEMPLATE.toFile());
        for (JsonNode r : template.path("Resources")) {
            ObjectNode p = (ObjectNode) r.path("Properties");
            if ("ingest".equals(p.at("/Environment/Variables/QUARKUS_LAMBDA_HANDLER").asText())) {
                change.accept(p);
            }
        }
        Path copy = dir.resolve("template.json");
        JSON.writeValue(copy.toFile(), template);
        return copy;
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void droppedFile_isIngestedPolledAndCompletedByTheWiring() throws Exception {
        Path file = tmp.resolve("wired.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= 100; i++) {
            sb.append("{\"custom_id\":\"w-")
                    .append(i)
                    .append("\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",")
                    .append(
                            "\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"n")
                    .append(i)
                    .append("\"}]}}\n");
        }
        Files.writeString(file, sb);

        Drop drop = Drop.put(stack.s3(), file, "openai", null);
        Job job = JobFollower.follow(stack.jobs(), drop.jobId(), Duration.ofMinutes(3));

        assertThat(job.status()).as("log: %s", log).isEqualTo(JobStatus.COMPLETED);
        assertThat(job.shardCount()).isEqualTo(3);
        Path out = tmp.resolve("out");
        assertThat(JobResults.finish(stack.s3(), job, drop, out)).isZero();
        Set<String> ids = new HashSet<>();
        for (int part = 1; part <= 3; part++) {
            for (String line :
                    Files.readAllLines(
                            out.resolve(
                                    "results/" + job.jobId() + "/part-0000" + part + ".jsonl"))) {
                assertThat(ids.add(JSON.readTree(line).get("custom_id").asText())).isTrue();
            }
        }
        assertThat(ids).hasSize(100);
        JsonNode manifest =
                JSON.readTree(out.resolve("results/" + job.jobId() + "/manifest.json").toFile());
        assertThat(manifest.at("/counts/succeeded").asLong()).isEqualTo(100);
    }

    @Test
    @Order(2)
    void badFile_endsRejectedWithItsReportCopiedOut() throws Exception {
        Path file = tmp.resolve("broken.jsonl");
        Files.writeString(
                file,
                "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\"}}\n{not json\n");

        Drop drop = Drop.put(stack.s3(), file, "openai", null);
        Job job = JobFollower.follow(stack.jobs(), drop.jobId(), Duration.ofMinutes(2));

        assertThat(job.status()).isEqualTo(JobStatus.REJECTED);
        Path out = tmp.resolve("out");
        assertThat(JobResults.finish(stack.s3(), job, drop, out)).isEqualTo(1);
        JsonNode report =
                JSON.readTree(
                        out.resolve("rejected/openai/broken/" + job.jobId() + "/report.json")
                                .toFile());
        assertThat(report.at("/firstViolations/0/line").asInt()).isEqualTo(2);
        assertThat(report.at("/firstViolations/0/code").asText()).isEqualTo("invalid_json");
    }

    @Test
    @Order(3)
    void functionSettings_comeFromTheTemplate_memoryHeapJvmOptionsAndTmp() throws Exception {
        FunctionProcess ingest = stack.process("ingest");
        assertThat(ingest.settings().memoryMb()).isEqualTo(INGEST_MEMORY_MB);
        assertThat(ingest.settings().ephemeralStorageMb()).isEqualTo(INGEST_STORAGE_MB);
        assertThat(stack.process("poll").settings().timeout()).isEqualTo(Duration.ofSeconds(300));
        // The JVM says what it picked up: the heap follows the template's memory, its options
        // follow.
        String picked =
                Files.readAllLines(ingest.log()).stream()
                        .filter(l -> l.startsWith("Picked up JAVA_TOOL_OPTIONS"))
                        .findFirst()
                        .orElseThrow();
        assertThat(picked)
                .contains("-XX:MaxHeapSize=" + (INGEST_MEMORY_MB * 1024L * 85 / 100) + "k")
                .contains("-XX:TieredStopAtLevel=4")
                .endsWith(MARKER);
        assertThat(ingest.tmp())
                .isEqualTo(
                        Path.of("../..")
                                .toAbsolutePath()
                                .normalize()
                                .resolve(".batchlane/tmp/ingest"));
        if (ingest.tmpfs()) {
            String target = ingest.tmp().toString();
            assertThat(Files.readAllLines(Path.of("/proc/mounts")))
                    .anyMatch(
                            l ->
                                    l.split(" ")[1].equals(target)
                                            && l.contains(
                                                    "size=" + INGEST_STORAGE_MB * 1024 + "k"));
        }
    }

    /**
     * Larger than ingest's /tmp in this test's template (16 MB): ingest streams the shard to the
     * bucket and complete streams the part, so the file runs even though it could never be staged
     * on local disk. Before streaming uploads, every ingest attempt failed with "No space left".
     */
    @Test
    @Order(4)
    void fileLargerThanIngestsTmp_runsToCompletion_becauseNothingIsStagedOnDisk() throws Exception {
        Assumptions.assumeTrue(
                stack.process("ingest").tmpfs(),
                "ingest's /tmp is capped only as root (tmpfs); without the cap the file proves nothing");
        Path file = tmp.resolve("too-big-for-tmp.jsonl");
        String filler = "lorem ipsum dolor sit amet ".repeat(20_000); // about 540 KB a request
        try (var w = Files.newBufferedWriter(file)) {
            for (int i = 1; i <= 40; i++) {
                w.write(
                        "{\"custom_id\":\"big-"
                                + i
                                + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                                + "\"body\":{\"model\":\"gpt-4o-mini\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\","
                                + "\"content\":\""
                                + filler
                                + i
                                + "\"}]}}\n");
            }
        }
        assertThat(Files.size(file)).isGreaterThan(INGEST_STORAGE_MB * 1024L * 1024);
        int status =
                RunCommand.runJob(
                        stack,
                        file,
                        "openai",
                        null,
                        tmp.resolve("out"),
                        Duration.ofMinutes(5),
                        Duration.ofMinutes(3));
        assertThat(status).as("log: %s", log).isZero();
        String jobId =
                dev.batchlane.core.lane.Keys.jobId(
                        Stack.BUCKET,
                        "inbox/openai/too-big-for-tmp.jsonl",
                        stack.s3()
                                .headObject(
                                        b ->
                                                b.bucket(Stack.BUCKET)
                                                        .key("inbox/openai/too-big-for-tmp.jsonl"))
                                .eTag()
                                .replace("\"", ""));
        JsonNode manifest =
                JSON.readTree(tmp.resolve("out/results/" + jobId + "/manifest.json").toFile());
        assertThat(manifest.at("/counts/succeeded").asLong()).isEqualTo(40);
        assertThat(manifest.at("/timings/ingest/passSeconds").isNumber()).isTrue();
    }

    /**
     * The run above was made under IAM as deployed: every call each function made was checked
     * against its role in the synthesized template, and none was refused.
     */
    @Test
    @Order(5)
    void theWholeRun_madeNoCallItsRoleDenies_andEachFunctionsCallsWereSeen() {
        var observed = stack.iam().observations();
        // What each function did, for whoever reads the test's output next to its role.
        observed.stream()
                .collect(
                        java.util.stream.Collectors.groupingBy(
                                o -> o.function() + " " + o.action(),
                                java.util.TreeMap::new,
                                java.util.stream.Collectors.counting()))
                .forEach((k, n) -> System.out.println("[iam-observed] " + k + " x" + n));
        assertThat(stack.iam().denials()).as("denials under the synthesized roles").isEmpty();
        for (String fn : List.of("ingest", "poll", "complete")) {
            assertThat(observed).as("calls of %s", fn).anyMatch(o -> o.function().equals(fn));
            // Providers are built on first use: this run's work is OpenAI's, so each function
            // read OpenAI's key and no other provider's, though its role may read them all.
            var role = stack.roles().role(fn);
            assertThat(
                            observed.stream()
                                    .filter(
                                            o ->
                                                    o.function().equals(fn)
                                                            && o.action()
                                                                    .equals(
                                                                            "secretsmanager:GetSecretValue"))
                                    .map(o -> shortName(role, o.resource()))
                                    .distinct())
                    .as("the key secrets %s read", fn)
                    .containsExactly("openai-secret");
        }
        assertThat(stack.events())
                .as("completion events put by complete")
                .anyMatch(e -> e.path("DetailType").asText().equals("Batchlane Job Completed"));
    }

    /**
     * Nothing broader than the construct means: every (action, resource) a role grants was used by
     * its function in the run above — seen by the enforcement, not listed by hand — or is one of
     * the grants below for a path this run does not take, each with its reason. Roles name no
     * wildcard action, and "*" as a resource only where the action has no resource (ListStreams,
     * ListModelInvocationJobs). Bedrock's grants are held to {@link BedrockStackTest}'s run, which
     * takes them under the same enforcement; this run has no Bedrock file.
     */
    @Test
    @Order(6)
    void
            eachRole_grantsWhatItsFunctionUsed_orAPathTheRunDoesNotTake_andNoWildcardBeyondListStreams() {
        java.util.Set<String> granted = new java.util.TreeSet<>();
        java.util.Set<String> unused = unusedGrants(stack, g -> !bedrockPath(g), granted);
        assertThat(granted)
                .as("the grants listed as not taken are grants of the roles")
                .containsAll(NOT_TAKEN.keySet());
        assertThat(NOT_TAKEN.keySet())
                .as("grants the run did not use and no reason names")
                .containsAll(unused);
    }

    /**
     * The grants of the three roles that {@code which} selects (as "function action resource",
     * resources short-named) that the stack's enforcement saw no allowed call for; every selected
     * grant is added to {@code granted}. Fails on a Deny, NotAction/NotResource, a wildcard action
     * or a '*' resource other than the two actions IAM authorizes only on '*'.
     */
    static java.util.Set<String> unusedGrants(
            Stack stack,
            java.util.function.Predicate<String> which,
            java.util.Set<String> granted) {
        var observed = stack.iam().observations();
        java.util.Set<String> unused = new java.util.TreeSet<>();
        for (String fn : List.of("ingest", "poll", "complete")) {
            var role = stack.roles().role(fn);
            for (var st : role.statements()) {
                assertThat(st.allow()).as("%s: %s", fn, st).isTrue();
                assertThat(st.notAction() || st.notResource()).as("%s: %s", fn, st).isFalse();
                for (String action : st.actions()) {
                    assertThat(action)
                            .as("%s: a wildcard action in %s", fn, st)
                            .doesNotContain("*");
                    for (String resource : st.resources()) {
                        if (resource.equals("*")) {
                            // IAM has no narrower resource for these actions.
                            assertThat(fn + " " + action)
                                    .as("a '*' resource")
                                    .isIn(
                                            "complete dynamodb:ListStreams",
                                            "ingest bedrock:ListModelInvocationJobs",
                                            "poll bedrock:ListModelInvocationJobs");
                        }
                        String grant = fn + " " + action + " " + shortName(role, resource);
                        if (!which.test(grant)) {
                            continue;
                        }
                        granted.add(grant);
                        boolean used =
                                observed.stream()
                                        .anyMatch(
                                                o ->
                                                        o.function().equals(fn)
                                                                && !o.denied()
                                                                && o.action()
                                                                        .equalsIgnoreCase(action)
                                                                && dev.batchlane.local.iam
                                                                        .PolicyEvaluator.wildcard(
                                                                        resource, o.resource()));
                        if (!used) {
                            unused.add(grant);
                        }
                    }
                }
            }
        }
        System.out.println("[iam-unused] " + String.join("\n[iam-unused] ", unused));
        return unused;
    }

    /**
     * Bedrock's grants: its control plane and runtime, the service role's PassRole, the bedrock/
     * prefixes.
     */
    static boolean bedrockPath(String grant) {
        String[] part = grant.split(" ", 3);
        return part[1].startsWith("bedrock:")
                || part[1].equals("iam:PassRole")
                || part[2].startsWith("bedrock/");
    }

    /**
     * Grants the construct means for paths this run does not take, and why the run does not take
     * them.
     */
    static final java.util.Map<String, String> NOT_TAKEN = notTaken();

    private static java.util.Map<String, String> notTaken() {
        java.util.Map<String, String> m = new java.util.TreeMap<>();
        for (String fn : List.of("ingest", "poll", "complete")) {
            m.put(
                    fn + " logs:CreateLogStream log-group",
                    "Lambda itself writes the function's logs");
            m.put(fn + " logs:PutLogEvents log-group", "Lambda itself writes the function's logs");
            for (String provider :
                    List.of(
                            "openai",
                            "anthropic",
                            "gemini",
                            "azure",
                            "groq",
                            "together",
                            "mistral")) {
                m.put(
                        fn + " secretsmanager:DescribeSecret " + provider + "-secret",
                        "part of CDK's grantRead; the code only reads the value");
                if (!provider.equals("openai")) {
                    // The functions build a provider on its first use, and only then read its key.
                    m.put(
                            fn + " secretsmanager:GetSecretValue " + provider + "-secret",
                            "this run's files are OpenAI's: no function builds " + provider);
                }
            }
        }
        for (String fn : List.of("ingest", "poll", "complete")) {
            m.put(
                    fn + " s3:ListBucket arn:aws:s3:::" + Stack.BUCKET,
                    "only under the bedrock/ prefixes, to find"
                            + " Bedrock's output; this run has no Bedrock file");
        }
        m.put(
                "ingest sqs:SendMessage dead-letter-queue",
                "Lambda's asynchronous invocation, after an S3 event fails for good");
        m.put(
                "ingest sqs:GetQueueAttributes dead-letter-queue",
                "Lambda's asynchronous invocation");
        m.put("ingest sqs:GetQueueUrl dead-letter-queue", "Lambda's asynchronous invocation");
        m.put(
                "poll kms:Encrypt key",
                "only for poll's writes under bedrock/ (on-demand output) and its refresh of"
                        + " staged shards");
        m.put(
                "poll kms:GenerateDataKey key",
                "only for poll's writes under bedrock/ (on-demand output) and its refresh of"
                        + " staged shards");
        m.put(
                "poll s3:PutObject staging/*",
                "only to refresh the staged shards of a job that lives close to the bucket's"
                        + " staging expiry (14 days); no job of this run lives that long");
        m.put(
                "ingest s3:GetObjectVersion inbox/*",
                "a drop is read by version on AWS; the local event carries its ETag");
        m.put("ingest s3:GetObject cancel/*", "no cancellation in this run");
        m.put("ingest s3:GetObjectVersion cancel/*", "no cancellation in this run");
        m.put(
                "ingest s3:AbortMultipartUpload staging/*",
                "only when a shard's upload fails or is cut short");
        m.put(
                "ingest s3:AbortMultipartUpload rejected/*",
                "only when an error list's upload fails");
        m.put(
                "ingest s3:DeleteObject staging/*",
                "only for a file found bad after shards were staged");
        m.put(
                "ingest s3:PutObject rejected/*",
                "the bad file in this run is rejected before anything is staged"
                        + " when its report is written in one part");
        m.put(
                "ingest kms:Encrypt key",
                "granted for writes; S3 asks KMS for GenerateDataKey, not Encrypt");
        m.put(
                "complete kms:Encrypt key",
                "granted for writes; S3 asks KMS for GenerateDataKey, not Encrypt");
        m.put(
                "poll s3:GetObject staging/*",
                "only for shards a provider held back with a rate limit");
        m.put("poll s3:GetObject cancel/*", "no cancellation in this run");
        m.put("poll kms:Decrypt key", "only with the staging read above");
        m.put("poll dynamodb:UpdateItem table", "only when poll flags a shard stuck");
        // Poll's share of the queue lane: this run sends no request to a queue (the local stack
        // has no intake queue yet), so nothing waits to be flushed or answered.
        String noQueue = "the queue lane's flushes and answers; this run queues no request";
        for (String grant :
                List.of(
                        "dynamodb:DeleteItem table",
                        "events:PutEvents event-bus",
                        "s3:AbortMultipartUpload answers/*",
                        "s3:AbortMultipartUpload inbox/*/queued/*",
                        "s3:AbortMultipartUpload queue-flushes/*",
                        "s3:DeleteObject queue-bodies/*",
                        "s3:GetObject inbox/*/queued/*",
                        "s3:GetObject queue-bodies/*",
                        "s3:GetObject queue-flushes/*",
                        "s3:GetObject rejected/*",
                        "s3:GetObject results/*",
                        "s3:PutObject answers/*",
                        "s3:PutObject inbox/*/queued/*",
                        "s3:PutObject queue-flushes/*",
                        // A reply queue batchlane-replies-*, short-named as the lane's queues are.
                        "sqs:SendMessage dead-letter-queue")) {
            m.put("poll " + grant, noQueue);
        }
        m.put(
                "poll dynamodb:Query table",
                "only when poll reconciles a creation whose answer was lost (the job's"
                        + " shards, for the batches they hold); the fault suite takes it");
        m.put(
                "complete s3:PutObject staging/*",
                "only when failed requests are re-queued as a child shard");
        m.put("complete s3:AbortMultipartUpload results/*", "only when an upload fails");
        m.put("complete s3:AbortMultipartUpload staging/*", "only when an upload fails");
        m.put(
                "complete sqs:SendMessage dead-letter-queue",
                "Lambda's event source mapping, after a batch fails for good");
        m.put("complete sqs:GetQueueAttributes dead-letter-queue", "Lambda's event source mapping");
        m.put("complete sqs:GetQueueUrl dead-letter-queue", "Lambda's event source mapping");
        m.put(
                "complete dynamodb:ConditionCheckItem table",
                "only in the transaction that re-queues a shard");
        m.put(
                "complete dynamodb:ListStreams *",
                "Lambda's event source mapping lists the table's streams; the"
                        + " local wiring knows the stream's ARN from the table");
        return m;
    }

    /** A resource as the lists above name it: the prefix, or the kind of resource. */
    static String shortName(dev.batchlane.local.iam.DeployedRoles.Role role, String resource) {
        if (resource.startsWith("arn:aws:s3:::" + Stack.BUCKET + "/")) {
            return resource.substring(("arn:aws:s3:::" + Stack.BUCKET + "/").length());
        }
        // A provider's key secret, by the provider the variable naming it is for ("gemini-secret").
        for (var e : role.environment().entrySet()) {
            if (e.getKey().startsWith("BATCHLANE_")
                    && e.getKey().endsWith("_API_KEY_SECRET")
                    && resource.equals(e.getValue())) {
                return e.getKey()
                                .substring(
                                        "BATCHLANE_".length(),
                                        e.getKey().length() - "_API_KEY_SECRET".length())
                                .toLowerCase(java.util.Locale.ROOT)
                        + "-secret";
            }
        }
        if (resource.contains(":log-group:")) {
            return "log-group";
        }
        if (resource.startsWith("arn:aws:sqs:")) {
            return "dead-letter-queue";
        }
        if (resource.startsWith("arn:aws:kms:")) {
            return "key";
        }
        if (resource.contains("/stream/")) {
            return "stream";
        }
        if (resource.startsWith("arn:aws:dynamodb:")) {
            return resource.contains("/index/")
                    ? "index/" + resource.substring(resource.indexOf("/index/") + 7)
                    : "table";
        }
        if (resource.startsWith("arn:aws:bedrock:")) {
            return resource.contains(":model-invocation-job/") ? "jobs" : "model";
        }
        if (resource.startsWith("arn:aws:iam::")) {
            return "service-role";
        }
        if (resource.startsWith("arn:aws:events:")) {
            return "event-bus";
        }
        return resource;
    }

    @Test
    void providerIsDetectedFromTheFirstLine() throws Exception {
        Path openai = tmp.resolve("o.jsonl");
        Files.writeString(
                openai,
                "\n{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{}}\n");
        Path anthropic = tmp.resolve("a.jsonl");
        Files.writeString(anthropic, "{\"custom_id\":\"a\",\"params\":{\"model\":\"claude\"}}\n");
        assertThat(RunCommand.detect(openai)).isEqualTo("openai");
        assertThat(RunCommand.detect(anthropic)).isEqualTo("anthropic");
        Path bedrock = tmp.resolve("b.jsonl");
        Files.writeString(bedrock, "{\"recordId\":\"r1\",\"modelInput\":{\"messages\":[]}}\n");
        assertThat(RunCommand.detect(bedrock)).isEqualTo("bedrock");
    }
}
