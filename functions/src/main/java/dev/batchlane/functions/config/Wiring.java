package dev.batchlane.functions.config;

import dev.batchlane.aws.dynamo.DynamoJobStore;
import dev.batchlane.aws.events.EventBridgeJobEvents;
import dev.batchlane.aws.s3.S3ObjectStore;
import dev.batchlane.core.cancel.CancelService;
import dev.batchlane.core.catalogue.ProviderCatalogue;
import dev.batchlane.core.complete.CompleteService;
import dev.batchlane.core.complete.Redrive;
import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.lane.JobEvents;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.money.Money;
import dev.batchlane.core.money.PriceTable;
import dev.batchlane.core.poll.PollService;
import dev.batchlane.core.poll.PollSettings;
import dev.batchlane.core.storage.ObjectStore;
import dev.batchlane.functions.observe.EmfMetrics;
import dev.batchlane.functions.resilience.ResilientProvider;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.math.BigDecimal;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.Config;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Builds the core's services from configuration. Producers are {@code @Singleton}: the core's types
 * are final classes and records, which cannot be proxied, and need no lazy scope. This is the only
 * place that knows both the core and its adapters; handlers get finished services.
 */
@ApplicationScoped
public class Wiring {

    @Produces
    @Singleton
    Clock clock() {
        return Clock.systemUTC();
    }

    // S3Client and DynamoDbClient are the Quarkus extensions' beans (quarkus-amazon-s3, -dynamodb),
    // configured under quarkus.s3.* and quarkus.dynamodb.* in application.properties.

    @Produces
    @Singleton
    ObjectStore objects(S3Client s3, BatchlaneConfig config) {
        return new S3ObjectStore(s3, config.bucket());
    }

    @Produces
    @Singleton
    JobStore jobs(DynamoDbClient dynamo, BatchlaneConfig config) {
        return new DynamoJobStore(dynamo, config.table());
    }

    @Produces
    @Singleton
    ProviderCatalogue catalogue() {
        return ProviderCatalogue.load();
    }

    /**
     * The providers the deployment enabled (all of the catalogue when it names none), each built
     * from its own settings on its first use and wrapped in the lane's call retries.
     */
    @Produces
    @Singleton
    Providers providers(
            ProviderCatalogue catalogue, BatchlaneConfig config, S3Client s3, Config settings) {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(config.http().connectTimeout()).build();
        var retry = config.retry();
        var resilience =
                new ResilientProvider.Settings(
                        retry.providerCallRetries(),
                        retry.providerCallFirstDelay(),
                        retry.providerCallMaxDelay(),
                        retry.providerCallJitter());
        return CatalogueProviders.lazy(
                catalogue,
                config.providers().orElse(List.of()),
                key -> settings.getOptionalValue(key, String.class),
                CatalogueProviders.Lane.of(config),
                Map.of(HttpClient.class, http, S3Client.class, s3),
                p -> new ResilientProvider(p, resilience));
    }

    @Produces
    @Singleton
    LaneMetrics metrics(Clock clock) {
        return new EmfMetrics(System.out, clock);
    }

    @Produces
    @Singleton
    JobEvents events(BatchlaneConfig config) {
        if (config.eventBus().isEmpty()) {
            return JobEvents.NONE;
        }
        return new EventBridgeJobEvents(eventBridge(config), config.eventBus().get());
    }

    /**
     * The SDK's own EventBridge client, on the same URL connection client and default credentials
     * chain as the S3 and DynamoDB clients. Built only when a bus is configured.
     */
    static EventBridgeClient eventBridge(BatchlaneConfig config) {
        var b =
                EventBridgeClient.builder()
                        .httpClientBuilder(UrlConnectionHttpClient.builder())
                        .region(Region.of(config.aws().region()));
        config.aws().eventsEndpoint().ifPresent(b::endpointOverride);
        return b.build();
    }

    @Produces
    @Singleton
    LaneSettings settings(BatchlaneConfig config, ProviderCatalogue catalogue) {
        var shard = config.shard();
        return new LaneSettings(
                        new IngestLimits(
                                shard.maxRequests()
                                        .orElse(IngestLimits.NO_CAP.maxRequestsPerShard()),
                                shard.maxBytes().orElse(IngestLimits.NO_CAP.maxBytesPerShard()),
                                shard.maxLineBytes().orElse(IngestLimits.NO_CAP.maxLineBytes()),
                                shard.reportedErrors()),
                        config.poll().firstDelay(),
                        config.poll().maxDelay(),
                        config.poll().batchSize(),
                        Path.of(config.tempDir()),
                        money(config.pricing(), catalogue),
                        config.retry().maxDepth(),
                        config.poll().stuckAfter(),
                        config.poll().completeGrace(),
                        admission(config.admission(), config.poll().stuckAfter()))
                .withStagingLifetime(config.stagingLifetime().orElse(null));
    }

    static dev.batchlane.core.lane.AdmissionBudget.Settings admission(
            BatchlaneConfig.Admission admission, java.time.Duration staleAfter) {
        Map<String, Long> limits = new LinkedHashMap<>();
        for (String pair : admission.limits().orElse(List.of())) {
            int eq = pair.lastIndexOf('=');
            try {
                if (eq <= 0) {
                    throw new NumberFormatException("no '='");
                }
                limits.put(
                        pair.substring(0, eq).trim(),
                        Long.parseLong(pair.substring(eq + 1).trim().replace("_", "")));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "batchlane.admission.limits: '"
                                + pair
                                + "' is not pool=tokens, e.g. <provider>/<model>=2000000",
                        e);
            }
        }
        return new dev.batchlane.core.lane.AdmissionBudget.Settings(
                limits, admission.defaultLimit(), staleAfter);
    }

    /** The prices of the providers the lane runs (each ships its own), then the overrides. */
    static Money money(BatchlaneConfig.Pricing pricing, ProviderCatalogue catalogue) {
        PriceTable prices = PriceTable.from(catalogue);
        if (pricing.overrides().isPresent()) {
            prices = prices.withOverrides(Path.of(pricing.overrides().get()));
        }
        Map<String, BigDecimal> budgets = new LinkedHashMap<>();
        for (String pair : pricing.defaultBudgets().orElse(List.of())) {
            int eq = pair.lastIndexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(
                        "batchlane.pricing.default-budgets: '"
                                + pair
                                + "' is not prefix=USD, e.g. inbox/<provider>/=25");
            }
            try {
                budgets.put(
                        pair.substring(0, eq).trim(),
                        new BigDecimal(pair.substring(eq + 1).trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "batchlane.pricing.default-budgets: '"
                                + pair
                                + "' has no amount in USD after '='",
                        e);
            }
        }
        return new Money(prices, budgets, pricing.defaultMaxOutputTokens());
    }

    @Produces
    @Singleton
    IngestService ingest(
            JobStore jobs,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            Clock clock,
            LaneMetrics metrics,
            BatchlaneConfig config) {
        BatchlaneConfig.Ingest in = config.ingest();
        int threads =
                in.parallelism() > 0
                        ? in.parallelism()
                        : Runtime.getRuntime().availableProcessors();
        return new IngestService(
                jobs,
                objects,
                providers,
                settings,
                clock,
                metrics,
                new IngestService.Tuning(
                        threads, in.passMargin(), in.submitMargin(), in.progressEvery()));
    }

    @Produces
    @Singleton
    Redrive redrive(JobStore jobs, LaneSettings settings, Clock clock) {
        return new Redrive(jobs, clock, settings.completeGrace());
    }

    @Produces
    @Singleton
    CancelService cancel(
            JobStore jobs,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            Clock clock,
            LaneMetrics metrics) {
        return new CancelService(jobs, objects, providers, settings, clock, metrics);
    }

    @Produces
    @Singleton
    PollService poll(
            JobStore jobs,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            Clock clock,
            LaneMetrics metrics,
            BatchlaneConfig config) {
        var poll = config.poll();
        return new PollService(
                jobs,
                objects,
                providers,
                settings,
                new PollSettings(
                        poll.parallelism(), poll.claimMargin(), poll.maxSubmissionsPerCycle()),
                clock,
                metrics);
    }

    @Produces
    @Singleton
    CompleteService complete(
            JobStore jobs,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            Clock clock,
            LaneMetrics metrics,
            JobEvents events) {
        return new CompleteService(jobs, objects, providers, settings, clock, metrics, events);
    }
}
