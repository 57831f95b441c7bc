package dev.batchlane.functions.resilience;

import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.core.provider.Submission;
import io.smallrye.faulttolerance.api.Guard;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A provider whose calls are retried with backoff and jitter, honouring Retry-After, through
 * SmallRye Fault Tolerance. What is retried depends on what a repeat could cost: calls that only
 * read or delete are retried on any passing failure; the calls that create something (upload,
 * create batch) only when the provider refused outright (429), because after a timeout or a 5xx the
 * first call may have gone through and a second would be charged twice. Downloads are not retried
 * here: a failed download fails the invocation, and its redelivery starts the join over.
 */
public final class ResilientProvider implements BatchProvider {
    /** How hard to try within one invocation. */
    public record Settings(
            int maxRetries, Duration firstDelay, Duration maxDelay, Duration jitter) {}

    private final BatchProvider delegate;
    private final Guard idempotent;
    private final Guard creating;

    public ResilientProvider(BatchProvider delegate, Settings settings) {
        this.delegate = delegate;
        this.idempotent =
                guard(
                        delegate.name() + " read/delete",
                        settings,
                        e -> e instanceof ProviderException p && p.retryable());
        this.creating =
                guard(
                        delegate.name() + " create",
                        settings,
                        e -> e instanceof ProviderException p && p.statusCode() == 429);
    }

    private static Guard guard(String description, Settings s, Predicate<Throwable> when) {
        return Guard.create()
                .withDescription(description)
                .withRetry()
                .maxRetries(s.maxRetries())
                .delay(s.firstDelay().toMillis(), ChronoUnit.MILLIS)
                .jitter(s.jitter().toMillis(), ChronoUnit.MILLIS)
                .maxDuration(s.maxDelay().toMillis() * (s.maxRetries() + 1L) + 1, ChronoUnit.MILLIS)
                .whenException(when)
                .withCustomBackoff()
                .strategy(() -> new RetryAfterBackoff(s.maxDelay()))
                .done()
                .done()
                .build();
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public java.util.Optional<java.time.Duration> inputFileLifetime() {
        return delegate.inputFileLifetime();
    }

    @Override
    public RequestContract contract() {
        return delegate.contract();
    }

    @Override
    public dev.batchlane.core.ingest.IngestLimits limits() {
        return delegate.limits();
    }

    @Override
    public Submission submit(Payload payload, String endpoint, Map<String, String> metadata) {
        String fileId = upload(payload);
        return create(fileId, payload, endpoint, metadata);
    }

    @Override
    public String upload(Payload payload) {
        return run(creating, () -> delegate.upload(payload));
    }

    @Override
    public Submission create(
            String inputFileId, Payload payload, String endpoint, Map<String, String> metadata) {
        return run(creating, () -> delegate.create(inputFileId, payload, endpoint, metadata));
    }

    /** Listing what an unanswered creation made reads only, so it is retried like any read. */
    @Override
    public dev.batchlane.core.provider.Reconciliation findCreated(
            dev.batchlane.core.provider.CreationQuery query) {
        return run(idempotent, () -> delegate.findCreated(query));
    }

    @Override
    public boolean creationIsIdempotent() {
        return delegate.creationIsIdempotent();
    }

    @Override
    public BatchView retrieve(String batchId) {
        return run(idempotent, () -> delegate.retrieve(batchId));
    }

    @Override
    public void cancel(String batchId) {
        run(
                idempotent,
                () -> {
                    delegate.cancel(batchId);
                    return Boolean.TRUE;
                });
    }

    @Override
    public void streamResults(BatchView batch, Consumer<LineResult> sink) {
        delegate.streamResults(batch, sink);
    }

    @Override
    public void cleanup(String inputFileId, String outputFileId, String errorFileId) {
        run(
                idempotent,
                () -> {
                    delegate.cleanup(inputFileId, outputFileId, errorFileId);
                    return Boolean.TRUE;
                });
    }

    @SuppressWarnings("unchecked")
    private static <T> T run(Guard guard, Supplier<T> call) {
        return (T) guard.get((Supplier<Object>) (Supplier<?>) call, Object.class);
    }
}
