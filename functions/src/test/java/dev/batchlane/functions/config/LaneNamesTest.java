package dev.batchlane.functions.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneNames;
import dev.batchlane.core.provider.Usage;
import dev.batchlane.functions.complete.CompleteHandler;
import dev.batchlane.functions.enqueue.EnqueueHandler;
import dev.batchlane.functions.ingest.IngestHandler;
import dev.batchlane.functions.observe.EmfMetrics;
import dev.batchlane.functions.poll.PollHandler;
import jakarta.inject.Named;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The functions' side of "one name for each thing": every variable the construct sets (the {@link
 * LaneNames} the CDK app uses) is one the functions' configuration reads, each handler the
 * construct selects is one the functions serve, and the metrics emitted are exactly the ones the
 * construct may alarm on. infra/cdk holds the synthesized template to the same {@link LaneNames}.
 */
class LaneNamesTest {

    @Test
    void everyVariableTheConstructSets_isReadByTheFunctionsConfiguration() throws Exception {
        Set<String> read = new TreeSet<>();
        properties("batchlane", BatchlaneConfig.class, read);
        String props;
        try (InputStream in = LaneNamesTest.class.getResourceAsStream("/application.properties")) {
            props = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        // Quarkus's own settings: the handler is chosen by quarkus.lambda.handler.
        props.lines()
                .map(l -> l.split("=", 2)[0].trim())
                .filter(k -> k.startsWith("quarkus."))
                .forEach(k -> read.add(env(k)));
        for (String name : LaneNames.FUNCTION_ENVIRONMENT) {
            if (name.equals(LaneNames.ENV_JAVA_TOOL_OPTIONS)) {
                continue; // read by the JVM itself
            }
            assertThat(
                            read.contains(name)
                                    || props.contains("${" + name + ":")
                                    || props.contains("${" + name + "}"))
                    .as(
                            "%s, set by the construct, is read by the functions (config reads %s)",
                            name, read)
                    .isTrue();
        }
    }

    @Test
    void theHandlersTheConstructSelects_areTheOnesTheFunctionsServe() {
        Set<String> served =
                Set.of(
                                IngestHandler.class,
                                PollHandler.class,
                                CompleteHandler.class,
                                EnqueueHandler.class)
                        .stream()
                        .map(c -> c.getAnnotation(Named.class).value())
                        .collect(Collectors.toSet());
        assertThat(served).containsExactlyInAnyOrderElementsOf(LaneNames.HANDLERS);
    }

    @Test
    void theMetricsEmitted_areExactlyTheLaneNamesMetrics_inTheNamespaceAndDimensionTheAlarmsRead()
            throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        EmfMetrics m =
                new EmfMetrics(
                        new PrintStream(buffer, true, StandardCharsets.UTF_8), Clock.systemUTC());
        // Every metric method of LaneMetrics, once: a new one must be added here, and so to
        // LaneNames.
        Set<String> methods =
                Arrays.stream(LaneMetrics.class.getDeclaredMethods())
                        .filter(x -> !Modifier.isStatic(x.getModifiers()))
                        .map(Method::getName)
                        .collect(Collectors.toSet());
        assertThat(methods)
                .containsExactlyInAnyOrder(
                        "jobAccepted",
                        "jobRejected",
                        "requestsSubmitted",
                        "batchEnded",
                        "requestsFinished",
                        "shardStuck",
                        "ingestFailed",
                        "pollCycle",
                        "requestEnqueued",
                        "queueDepth",
                        "queueFlushed",
                        "answersSent");
        m.jobAccepted("openai", 1);
        m.jobRejected("openai");
        m.requestsSubmitted("openai", 1);
        m.batchEnded("openai", true, true);
        m.requestsFinished("openai", 1, 1, new Usage(1, 0, 1), BigDecimal.ONE);
        m.shardStuck("openai");
        m.ingestFailed();
        m.pollCycle(1, 1);
        m.requestEnqueued("openai/tickets", true, false);
        m.queueDepth("openai/tickets", 1, 1, 1);
        m.queueFlushed("openai/tickets", 1, 1);
        m.answersSent("openai/tickets", 1);
        Set<String> emitted = new TreeSet<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : buffer.toString(StandardCharsets.UTF_8).split("\n")) {
            JsonNode directive = json.readTree(line).at("/_aws/CloudWatchMetrics/0");
            assertThat(directive.path("Namespace").asText()).isEqualTo(LaneNames.METRIC_NAMESPACE);
            directive
                    .path("Dimensions")
                    .forEach(
                            set ->
                                    set.forEach(
                                            d ->
                                                    assertThat(d.asText())
                                                            .isIn(
                                                                    LaneNames
                                                                            .METRIC_DIMENSION_PROVIDER,
                                                                    LaneNames
                                                                            .METRIC_DIMENSION_QUEUE)));
            directive.path("Metrics").forEach(d -> emitted.add(d.path("Name").asText()));
        }
        // LaneNames.METRICS lists the file lane's; the queue lane's are named one by one there.
        Set<String> expected = new TreeSet<>(LaneNames.METRICS);
        expected.addAll(
                Set.of(
                        LaneNames.METRIC_REQUESTS_ENQUEUED,
                        LaneNames.METRIC_REQUESTS_REFUSED_AT_ENQUEUE,
                        LaneNames.METRIC_DUPLICATES_AT_ENQUEUE,
                        LaneNames.METRIC_QUEUE_DEPTH,
                        LaneNames.METRIC_QUEUE_OLDEST_AGE_SECONDS,
                        LaneNames.METRIC_QUEUE_WAIT_PERCENT,
                        LaneNames.METRIC_QUEUE_FLUSHES,
                        LaneNames.METRIC_QUEUE_FLUSH_REQUESTS,
                        LaneNames.METRIC_ANSWERS_SENT));
        assertThat(emitted).containsExactlyInAnyOrderElementsOf(expected);
    }

    /**
     * The property names of a config mapping, as SmallRye names them (kebab-case), in their env
     * form.
     */
    private static void properties(String prefix, Class<?> type, Set<String> out) {
        for (Method method : type.getMethods()) {
            if (method.getParameterCount() != 0
                    || Modifier.isStatic(method.getModifiers())
                    || method.isDefault()) {
                continue;
            }
            String name =
                    prefix
                            + "."
                            + method.getName()
                                    .replaceAll("([a-z0-9])([A-Z])", "$1-$2")
                                    .toLowerCase(Locale.ROOT);
            Class<?> r = method.getReturnType();
            if (r.isInterface() && r.getEnclosingClass() == BatchlaneConfig.class) {
                properties(name, r, out);
            } else {
                out.add(env(name));
            }
        }
    }

    /**
     * SmallRye Config's environment-variable form of a property: non-alphanumerics to '_', upper
     * case.
     */
    private static String env(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }
}
