package dev.batchlane.core.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.money.Budget;
import dev.batchlane.core.money.Money;
import dev.batchlane.core.money.Projection;
import dev.batchlane.core.money.TokenEstimate;
import dev.batchlane.core.storage.ObjectStore;
import java.lang.System.Logger.Level;
import java.math.BigDecimal;
import java.util.Map;
import java.util.Optional;

/**
 * Prices a clean file and holds it to its budget: the projection from the price table, the budget
 * from the object's own metadata or else its prefix's default, and the refusal when the one breaks
 * the other. A refused file is rejected before any record is written, so nothing above its budget
 * reaches a provider.
 */
final class BudgetCheck {
    private static final System.Logger LOG = System.getLogger(BudgetCheck.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectStore objects;
    private final Money money;

    BudgetCheck(ObjectStore objects, Money money) {
        this.objects = objects;
        this.money = money;
    }

    /**
     * What the money check decided. {@code cost} is the report's cost section; {@code budget} is
     * empty when neither the file nor its prefix sets one; {@code refusal}, when present, is the
     * file-level violation the file is rejected for.
     */
    record Verdict(
            Projection projection,
            Optional<BigDecimal> budget,
            ObjectNode cost,
            Optional<Violation> refusal) {}

    /**
     * {@code onDemand}: the estimate, by model, of the shards the provider will run on demand, at
     * the synchronous price.
     */
    Verdict check(
            DroppedFile file,
            String provider,
            FileValidator.Validation checked,
            Map<String, TokenEstimate> onDemand) {
        Projection projection =
                Projection.of(provider, checked.estimates(), onDemand, money.prices());
        ObjectNode cost = costJson(projection, null);
        BigDecimal budget;
        try {
            budget = budget(file.ref()).orElse(null);
        } catch (IllegalArgumentException e) {
            return new Verdict(
                    projection,
                    Optional.empty(),
                    cost,
                    Optional.of(new Violation(0, null, "budget_invalid", e.getMessage())));
        }
        if (budget != null) {
            cost = costJson(projection, budget);
            Optional<Budget.Refusal> over = Budget.check(projection, budget);
            if (over.isPresent()) {
                return new Verdict(
                        projection,
                        Optional.of(budget),
                        cost,
                        Optional.of(
                                new Violation(0, null, over.get().code(), over.get().message())));
            }
        }
        if (!projection.complete()) {
            LOG.log(
                    Level.WARNING,
                    "job {0}: no price for model(s) {1}; the job runs without a cost projection",
                    file.jobId(),
                    projection.unpricedModels());
        }
        return new Verdict(projection, Optional.ofNullable(budget), cost, Optional.empty());
    }

    /** The budget for this file: its own metadata, else the default for its prefix. */
    private Optional<BigDecimal> budget(IngestService.ObjectRef ref) {
        // The version the event named, not whatever the key holds now: an overwrite carries its own
        // budget.
        String own =
                objects.head(ref.key(), ref.versionId())
                        .map(info -> info.metadata().get(Money.BUDGET_METADATA))
                        .orElse(null);
        return Budget.forFile(ref.key(), own, money);
    }

    private static ObjectNode costJson(Projection p, BigDecimal budget) {
        ObjectNode n = JSON.createObjectNode();
        n.put("inputTokens", p.inputTokens());
        n.put("maxOutputTokens", p.maxOutputTokens());
        if (p.complete()) {
            n.put("projectedBatchUsd", p.batchUsd());
            n.put("projectedSyncUsd", p.syncUsd());
            if (p.onDemandUsd().signum() != 0) {
                // Part of projectedBatchUsd: shards below the provider's batch minimum run on
                // demand at the synchronous price.
                n.put("projectedOnDemandUsd", p.onDemandUsd());
            }
        } else {
            n.putNull("projectedBatchUsd");
            n.set("unpricedModels", JSON.valueToTree(p.unpricedModels()));
        }
        if (budget != null) {
            n.put("budgetUsd", budget);
        }
        n.put("priceTable", p.priceTableVersion());
        return n;
    }
}
