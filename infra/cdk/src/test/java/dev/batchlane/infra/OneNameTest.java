package dev.batchlane.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.lane.LaneNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * One name for each thing: every name the synthesized template sets or alarms on — function
 * environment, handlers, metrics and their dimensions, table keys and index, bucket prefixes and
 * suffix, the completion event — is one of the {@link LaneNames} the functions read and emit. The
 * whole template is walked, so a literal the construct writes past the constants is caught too.
 */
class OneNameTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode template() {
        return JSON.valueToTree(SynthesizedLane.json());
    }

    @Test
    void functionEnvironment_isNamedByLaneNames_andEachHandlerIsOneTheFunctionsServe() {
        Set<String> handlers = new TreeSet<>();
        for (JsonNode r : template().path("Resources")) {
            JsonNode vars = r.at("/Properties/Environment/Variables");
            if (!"AWS::Lambda::Function".equals(r.path("Type").asText())
                    || !vars.has(LaneNames.ENV_HANDLER)) {
                continue;
            }
            vars.fieldNames()
                    .forEachRemaining(
                            name ->
                                    assertThat(functionEnvironment())
                                            .as(
                                                    "environment variable of %s",
                                                    vars.path(LaneNames.ENV_HANDLER))
                                            .contains(name));
            handlers.add(vars.path(LaneNames.ENV_HANDLER).asText());
        }
        assertThat(handlers).containsExactlyInAnyOrderElementsOf(LaneNames.HANDLERS);
    }

    @Test
    void everyBatchlaneMetricTheAlarmsAndDashboardRead_isOneTheFunctionsEmit() {
        List<String> read = new ArrayList<>();
        Set<String> dimensions = new TreeSet<>();
        walk(
                template(),
                (parent, node) -> {
                    if (node.isObject()
                            && LaneNames.METRIC_NAMESPACE.equals(node.path("Namespace").asText())) {
                        read.add(node.path("MetricName").asText());
                        node.path("Dimensions")
                                .forEach(d -> dimensions.add(d.path("Name").asText()));
                    }
                    if (node.isTextual()) {
                        // The dashboard body is JSON inside a string:
                        // ["Batchlane","JobsAccepted",...] and SEARCH expressions.
                        Matcher m =
                                Pattern.compile(
                                                "\\[\""
                                                        + LaneNames.METRIC_NAMESPACE
                                                        + "\",\"(\\w+)\"")
                                        .matcher(node.asText());
                        while (m.find()) {
                            read.add(m.group(1));
                        }
                        Matcher s =
                                Pattern.compile(
                                                "\\{"
                                                        + LaneNames.METRIC_NAMESPACE
                                                        + ",(\\w+)\\}\\s*MetricName=\\\\?\"(\\w+)")
                                        .matcher(node.asText());
                        while (s.find()) {
                            dimensions.add(s.group(1));
                            read.add(s.group(2));
                        }
                    }
                });
        assertThat(read).as("metrics read by alarms and dashboard").isNotEmpty();
        assertThat(emitted()).containsAll(read);
        assertThat(dimensions)
                .isSubsetOf(
                        Set.of(
                                LaneNames.METRIC_DIMENSION_PROVIDER,
                                LaneNames.METRIC_DIMENSION_QUEUE));
    }

    /**
     * What the functions emit: the file lane's {@link LaneNames#METRICS} and the queue lane's,
     * which LaneNames names one by one.
     */
    static Set<String> emitted() {
        Set<String> all = new TreeSet<>(LaneNames.METRICS);
        all.addAll(
                List.of(
                        LaneNames.METRIC_REQUESTS_ENQUEUED,
                        LaneNames.METRIC_REQUESTS_REFUSED_AT_ENQUEUE,
                        LaneNames.METRIC_DUPLICATES_AT_ENQUEUE,
                        LaneNames.METRIC_QUEUE_DEPTH,
                        LaneNames.METRIC_QUEUE_OLDEST_AGE_SECONDS,
                        LaneNames.METRIC_QUEUE_WAIT_PERCENT,
                        LaneNames.METRIC_QUEUE_FLUSHES,
                        LaneNames.METRIC_QUEUE_FLUSH_REQUESTS,
                        LaneNames.METRIC_ANSWERS_SENT));
        return all;
    }

    @Test
    void tableKeysIndexAndTtl_areLaneNames() {
        JsonNode table = only("AWS::DynamoDB::Table").path("Properties");
        assertThat(names(table.path("KeySchema"), "AttributeName"))
                .containsExactly(LaneNames.TABLE_PARTITION_KEY, LaneNames.TABLE_SORT_KEY);
        JsonNode index = table.path("GlobalSecondaryIndexes").get(0);
        assertThat(table.path("GlobalSecondaryIndexes")).hasSize(1);
        assertThat(index.path("IndexName").asText()).isEqualTo(LaneNames.DUE_INDEX);
        assertThat(names(index.path("KeySchema"), "AttributeName"))
                .containsExactly(LaneNames.DUE_INDEX_PARTITION_KEY, LaneNames.DUE_INDEX_SORT_KEY);
        assertThat(table.at("/TimeToLiveSpecification/AttributeName").asText())
                .isEqualTo(LaneNames.TABLE_TTL_ATTRIBUTE);
        // Any index a policy names is that index.
        walk(
                template(),
                (parent, node) -> {
                    if (node.isTextual() && node.asText().contains("/index/")) {
                        assertThat(node.asText()).endsWith("/index/" + LaneNames.DUE_INDEX);
                    }
                });
    }

    @Test
    void everyPrefixAndSuffix_inPoliciesNotificationsAndLifecycle_isALaneName() {
        Set<String> prefixes = new TreeSet<>();
        walk(
                template(),
                (parent, node) -> {
                    if (node.isTextual()) {
                        // Object ARNs in policies: <bucket ARN> joined with "/prefix/*".
                        Matcher m = Pattern.compile("^/([a-z-]+/)\\*$").matcher(node.asText());
                        if (m.find()) {
                            prefixes.add(m.group(1));
                        }
                        // A flush's file: inbox/<any provider>/queued/<queue>/...
                        Matcher q =
                                Pattern.compile("^/([a-z-]+/)\\*/([a-z-]+/)\\*$")
                                        .matcher(node.asText());
                        if (q.find()) {
                            prefixes.add(q.group(1));
                            assertThat(q.group(2)).isEqualTo(LaneNames.INBOX_QUEUED);
                        }
                    }
                    if (node.isObject() && node.has("Prefix") && node.path("Prefix").isTextual()) {
                        prefixes.add(node.path("Prefix").asText());
                    }
                    if (node.isObject() && "prefix".equals(node.path("Name").asText())) {
                        prefixes.add(node.path("Value").asText());
                    }
                    if (node.isObject() && "suffix".equals(node.path("Name").asText())) {
                        assertThat(node.path("Value").asText()).isEqualTo(LaneNames.INBOX_SUFFIX);
                    }
                });
        assertThat(prefixes).isNotEmpty();
        List<String> named = new ArrayList<>(LaneNames.PREFIXES);
        named.addAll(
                List.of(
                        LaneNames.PREFIX_QUEUE,
                        LaneNames.PREFIX_ANSWERS,
                        LaneNames.PREFIX_QUEUE_FLUSHES,
                        LaneNames.PREFIX_QUEUE_BODIES));
        BatchlaneProps.catalogue()
                .descriptors()
                .forEach(d -> named.addAll(d.deployment().prefixes()));
        assertThat(named).containsAll(prefixes);
    }

    /** The lane's own variables and each provider's, as its descriptor declares them. */
    static List<String> functionEnvironment() {
        List<String> names = new ArrayList<>(LaneNames.FUNCTION_ENVIRONMENT);
        BatchlaneProps.catalogue()
                .descriptors()
                .forEach(d -> names.addAll(d.deploymentEnvironment()));
        return names;
    }

    @Test
    void theCompletionEvent_thePolicyAllows_isTheOneTheFunctionsSend() {
        List<JsonNode> conditions = new ArrayList<>();
        walk(
                template(),
                (parent, node) -> {
                    if (node.isObject() && node.has("events:source")) {
                        conditions.add(node);
                    }
                });
        assertThat(conditions)
                .isNotEmpty()
                .allSatisfy(
                        c -> {
                            assertThat(c.path("events:source").asText())
                                    .isEqualTo(LaneNames.EVENT_SOURCE);
                            // Which role may put which is LanePermissionsTest's.
                            assertThat(c.path("events:detail-type").asText())
                                    .isIn(
                                            LaneNames.EVENT_JOB_COMPLETED,
                                            LaneNames.EVENT_REQUEST_ANSWERED);
                        });
    }

    private static List<String> names(JsonNode array, String field) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.path(field).asText()));
        return out;
    }

    private static JsonNode only(String type) {
        List<JsonNode> found = new ArrayList<>();
        template()
                .path("Resources")
                .forEach(
                        r -> {
                            if (type.equals(r.path("Type").asText())) {
                                found.add(r);
                            }
                        });
        assertThat(found).hasSize(1);
        return found.get(0);
    }

    private static void walk(JsonNode node, BiConsumer<JsonNode, JsonNode> visit) {
        visit.accept(null, node);
        if (node.isContainerNode()) {
            node.forEach(child -> walk(child, visit));
        }
    }
}
