package dev.batchlane.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the deployment gives each function, read from the CloudFormation template the CDK construct
 * synthesizes (infra/cdk writes it to {@code infra/cdk/target/batchlane-template.json} on every
 * build): memory, timeout, ephemeral storage and JVM options. The template is the one source;
 * nothing here is a copy of the construct's values.
 */
public final class LaneTemplate {
    /** Points the local stack at another synthesized template. */
    public static final String ENV_TEMPLATE = "BATCHLANE_TEMPLATE";

    static final String DEFAULT_PATH = "infra/cdk/target/batchlane-template.json";
    static final List<String> FUNCTIONS = List.of("ingest", "poll", "complete");

    /**
     * The queue lane's function: run when the template has it (a construct without the queue lane
     * has not).
     */
    static final String ENQUEUE = dev.batchlane.core.lane.LaneNames.HANDLER_ENQUEUE;

    /**
     * The intake queue's name when the template has no SQS queue feeding enqueue (a construct
     * without the queue lane): the local stack still creates it, so applications can be written
     * against it.
     */
    static final String DEFAULT_INTAKE_QUEUE = "batchlane-intake";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One function's deployed limits. */
    public record FunctionSettings(
            String name,
            int memoryMb,
            Duration timeout,
            int ephemeralStorageMb,
            String javaToolOptions) {}

    private LaneTemplate() {}

    /**
     * The template given, else $BATCHLANE_TEMPLATE, else the one infra/cdk's build wrote under
     * home.
     */
    static Path locate(Path home, Path given) {
        if (given != null) {
            return given;
        }
        String env = System.getenv(ENV_TEMPLATE);
        return env != null && !env.isBlank() ? Path.of(env) : home.resolve(DEFAULT_PATH);
    }

    public static Map<String, FunctionSettings> read(Path template) throws IOException {
        if (!Files.isRegularFile(template)) {
            throw new IllegalStateException(
                    "the synthesized CDK template "
                            + template
                            + " is missing; the local stack"
                            + " reads each function's memory, timeout, ephemeral storage and JVM options from it. Build it with"
                            + " ./mvnw -B -q -ntp -DskipTests package -pl infra/cdk (./batchlane builds it on first run), or"
                            + " point "
                            + ENV_TEMPLATE
                            + " at a template synthesized from the construct");
        }
        JsonNode resources = JSON.readTree(template.toFile()).path("Resources");
        Map<String, FunctionSettings> found = new TreeMap<>();
        for (var it = resources.fields(); it.hasNext(); ) {
            JsonNode r = it.next().getValue();
            JsonNode p = r.path("Properties");
            String handler = p.at("/Environment/Variables/QUARKUS_LAMBDA_HANDLER").asText("");
            if (!"AWS::Lambda::Function".equals(r.path("Type").asText())
                    || !(FUNCTIONS.contains(handler) || ENQUEUE.equals(handler))) {
                continue;
            }
            // CloudFormation's own defaults when a property is absent.
            int memory = p.path("MemorySize").asInt(128);
            int timeout = p.path("Timeout").asInt(3);
            int storage = p.at("/EphemeralStorage/Size").asInt(512);
            String options = p.at("/Environment/Variables/JAVA_TOOL_OPTIONS").asText("");
            if (found.put(
                            handler,
                            new FunctionSettings(
                                    handler, memory, Duration.ofSeconds(timeout), storage, options))
                    != null) {
                throw new IllegalStateException(
                        template + " has two functions with QUARKUS_LAMBDA_HANDLER=" + handler);
            }
        }
        if (!found.keySet().containsAll(FUNCTIONS)) {
            throw new IllegalStateException(
                    template
                            + " does not hold the functions "
                            + FUNCTIONS
                            + " (found "
                            + found.keySet()
                            + "); is it the Batchlane lane's template?");
        }
        return found;
    }

    /**
     * The SQS queue an event source mapping of the template feeds to enqueue, as the mapping reads
     * it.
     *
     * @param logicalId the queue's resource id, null when the template has none
     * @param name the queue's name: its {@code QueueName}, else its resource id (the name {@link
     *     dev.batchlane.local.iam.DeployedRoles} gives it in the roles' ARNs)
     * @param deadLetterQueue the name of the queue its redrive policy moves a message to after
     *     {@code maxReceiveCount} receives; null without one
     */
    public record IntakeQueue(
            String logicalId,
            String name,
            Duration visibilityTimeout,
            int batchSize,
            boolean reportBatchItemFailures,
            String deadLetterQueue,
            int maxReceiveCount) {}

    /**
     * The intake queue: the {@code AWS::SQS::Queue} whose ARN is the event source of a mapping to
     * the enqueue function; without one, {@link #DEFAULT_INTAKE_QUEUE} with SQS's and Lambda's
     * defaults (30 s visibility, batches of 10) and partial batch responses, as the lane's handler
     * reports them.
     */
    public static IntakeQueue intakeQueue(Path template) throws IOException {
        JsonNode resources = JSON.readTree(template.toFile()).path("Resources");
        String enqueueId = null;
        for (var it = resources.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode p = e.getValue().path("Properties");
            if ("AWS::Lambda::Function".equals(e.getValue().path("Type").asText())
                    && ENQUEUE.equals(
                            p.at("/Environment/Variables/QUARKUS_LAMBDA_HANDLER").asText(""))) {
                enqueueId = e.getKey();
            }
        }
        if (enqueueId != null) {
            for (JsonNode r : resources) {
                JsonNode p = r.path("Properties");
                if (!"AWS::Lambda::EventSourceMapping".equals(r.path("Type").asText())
                        || !invokes(resources, p.path("FunctionName"), enqueueId)) {
                    continue;
                }
                JsonNode source = p.path("EventSourceArn").path("Fn::GetAtt");
                String queueId = source.isArray() ? source.path(0).asText("") : "";
                JsonNode queue = resources.path(queueId);
                if (!"AWS::SQS::Queue".equals(queue.path("Type").asText())) {
                    continue;
                }
                JsonNode qp = queue.path("Properties");
                boolean partial = false;
                for (JsonNode t : p.path("FunctionResponseTypes")) {
                    partial |= "ReportBatchItemFailures".equals(t.asText());
                }
                String dlqId =
                        qp.at("/RedrivePolicy/deadLetterTargetArn/Fn::GetAtt/0").asText(null);
                return new IntakeQueue(
                        queueId,
                        queueName(queueId, queue),
                        Duration.ofSeconds(qp.path("VisibilityTimeout").asInt(30)),
                        p.path("BatchSize").asInt(10),
                        partial,
                        dlqId == null ? null : queueName(dlqId, resources.path(dlqId)),
                        qp.at("/RedrivePolicy/maxReceiveCount").asInt(0));
            }
        }
        return new IntakeQueue(
                null, DEFAULT_INTAKE_QUEUE, Duration.ofSeconds(30), 10, true, null, 0);
    }

    private static String queueName(String id, JsonNode queue) {
        JsonNode name = queue.at("/Properties/QueueName");
        return name.isTextual() ? name.asText() : id;
    }

    /**
     * Whether {@code target} (a mapping's FunctionName) invokes the function {@code id}: it refers
     * to the function, or to one of its aliases or versions (the construct's triggers target its
     * {@code live} alias, by a name CDK joins from the alias's ARN).
     */
    private static boolean invokes(JsonNode resources, JsonNode target, String id) {
        for (String ref : references(target)) {
            JsonNode r = resources.path(ref);
            String type = r.path("Type").asText();
            if (ref.equals(id)
                    || (("AWS::Lambda::Alias".equals(type) || "AWS::Lambda::Version".equals(type))
                            && invokes(resources, r.at("/Properties/FunctionName"), id))) {
                return true;
            }
        }
        return false;
    }

    /** The resources a value refers to by Ref or Fn::GetAtt, however deep in other functions. */
    private static List<String> references(JsonNode value) {
        List<String> out = new java.util.ArrayList<>();
        if (value.isObject()) {
            if (value.path("Ref").isTextual()) {
                out.add(value.path("Ref").asText());
            } else if (value.path("Fn::GetAtt").path(0).isTextual()) {
                out.add(value.path("Fn::GetAtt").path(0).asText());
            }
            value.elements().forEachRemaining(v -> out.addAll(references(v)));
        } else if (value.isArray()) {
            value.forEach(v -> out.addAll(references(v)));
        }
        return out;
    }
}
