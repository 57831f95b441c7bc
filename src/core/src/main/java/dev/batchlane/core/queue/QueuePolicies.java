package dev.batchlane.core.queue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Each queue's policy: a default for every queue and, by {@code provider/name}, a queue's own. Read
 * from one JSON object (the deployment's {@code queues} setting), for example {@code {"default":
 * {"max-wait": "PT1H"}, "openai/tickets": {"max-wait": "PT10M", "max-requests": 500}}}; a key a
 * queue leaves out comes from the default. Unknown keys and bad values are refused at start-up with
 * the queue and the key named, so a typo never silently means the default.
 */
public final class QueuePolicies {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> KEYS =
            Set.of(
                    "max-wait",
                    "max-requests",
                    "max-bytes",
                    "below-minimum",
                    "budget-usd",
                    "daily-budget-usd");

    private final QueuePolicy fallback;
    private final Map<String, QueuePolicy> byQueue;

    public QueuePolicies(QueuePolicy fallback, Map<String, QueuePolicy> byQueue) {
        this.fallback = fallback;
        this.byQueue = Map.copyOf(byQueue);
    }

    public static QueuePolicies defaults() {
        return new QueuePolicies(QueuePolicy.defaults(), Map.of());
    }

    public QueuePolicy of(QueueName queue) {
        return byQueue.getOrDefault(queue.id(), fallback);
    }

    /** Parses the setting; blank means every queue has the defaults. */
    public static QueuePolicies parse(String json) {
        if (json == null || json.isBlank()) {
            return defaults();
        }
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "the queues setting is not JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(
                    "the queues setting must be a JSON object of queue name to policy");
        }
        QueuePolicy fallback =
                root.has("default")
                        ? read("default", root.get("default"), QueuePolicy.defaults())
                        : QueuePolicy.defaults();
        Map<String, QueuePolicy> byQueue = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("default")) {
                continue;
            }
            QueueName name = QueueName.parse(e.getKey());
            byQueue.put(name.id(), read(name.id(), e.getValue(), fallback));
        }
        return new QueuePolicies(fallback, byQueue);
    }

    private static QueuePolicy read(String queue, JsonNode node, QueuePolicy base) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(
                    "queue " + queue + ": its policy must be a JSON object");
        }
        node.fieldNames()
                .forEachRemaining(
                        k -> {
                            if (!KEYS.contains(k)) {
                                throw new IllegalArgumentException(
                                        "queue "
                                                + queue
                                                + ": unknown policy key '"
                                                + k
                                                + "'; the keys are "
                                                + new java.util.TreeSet<>(KEYS));
                            }
                        });
        try {
            Duration maxWait =
                    node.has("max-wait")
                            ? Duration.parse(node.get("max-wait").asText())
                            : base.maxWait();
            long maxRequests = longOf(queue, node, "max-requests", base.maxRequests());
            long maxBytes = longOf(queue, node, "max-bytes", base.maxBytes());
            QueuePolicy.BelowMinimum below =
                    node.has("below-minimum")
                            ? belowMinimum(queue, node.get("below-minimum").asText())
                            : base.belowMinimum();
            BigDecimal budget = decimalOf(queue, node, "budget-usd", base.budgetUsd());
            BigDecimal daily = decimalOf(queue, node, "daily-budget-usd", base.dailyBudgetUsd());
            return new QueuePolicy(maxWait, maxRequests, maxBytes, below, budget, daily);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(
                    "queue "
                            + queue
                            + ": max-wait must be an ISO-8601 duration such as PT10M; got '"
                            + node.get("max-wait").asText()
                            + "'",
                    e);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("queue ")) {
                throw e;
            }
            throw new IllegalArgumentException("queue " + queue + ": " + e.getMessage(), e);
        }
    }

    private static BigDecimal decimalOf(String queue, JsonNode node, String key, BigDecimal base) {
        if (!node.has(key)) {
            return base;
        }
        try {
            return new BigDecimal(node.get(key).asText());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "queue "
                            + queue
                            + ": "
                            + key
                            + " must be a decimal number; got '"
                            + node.get(key).asText()
                            + "'",
                    e);
        }
    }

    private static long longOf(String queue, JsonNode node, String key, long base) {
        if (!node.has(key)) {
            return base;
        }
        JsonNode v = node.get(key);
        if (!v.canConvertToLong() || !v.isIntegralNumber()) {
            throw new IllegalArgumentException(
                    "queue " + queue + ": " + key + " must be a whole number; got " + v);
        }
        return v.asLong();
    }

    private static QueuePolicy.BelowMinimum belowMinimum(String queue, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "on-demand" -> QueuePolicy.BelowMinimum.ON_DEMAND;
            case "wait" -> QueuePolicy.BelowMinimum.WAIT;
            default ->
                    throw new IllegalArgumentException(
                            "queue "
                                    + queue
                                    + ": below-minimum is 'on-demand' or 'wait'; got '"
                                    + value
                                    + "'");
        };
    }
}
