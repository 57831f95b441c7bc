package dev.batchlane.functions.config;

import dev.batchlane.aws.dynamo.DynamoQueueBuffer;
import dev.batchlane.aws.queue.AwsAnswerSink;
import dev.batchlane.core.job.JobStore;
import dev.batchlane.core.lane.LaneMetrics;
import dev.batchlane.core.lane.LaneSettings;
import dev.batchlane.core.lane.Providers;
import dev.batchlane.core.queue.AnswerDelivery;
import dev.batchlane.core.queue.AnswerSink;
import dev.batchlane.core.queue.QueueAnswers;
import dev.batchlane.core.queue.QueueBuffer;
import dev.batchlane.core.queue.QueueFlusher;
import dev.batchlane.core.queue.QueueIntake;
import dev.batchlane.core.queue.QueueLookup;
import dev.batchlane.core.queue.QueuePolicies;
import dev.batchlane.core.queue.QueueService;
import dev.batchlane.core.storage.ObjectStore;
import dev.batchlane.functions.enqueue.EnqueueEvents;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The queue lane's services: the buffer in the lane's table, answers to reply queues or the bus,
 * and the intake, flusher and answerer on top. Kept apart from {@link Wiring}, which builds the
 * file lane; both share its stores, providers, settings and metrics.
 */
@ApplicationScoped
public class QueueWiring {

    /** The buffer lives in the lane's one table, beside the jobs and shards (no index, no scan). */
    @Produces
    @Singleton
    QueueBuffer buffer(DynamoDbClient dynamo, BatchlaneConfig config, Clock clock) {
        return new DynamoQueueBuffer(dynamo, config.table(), clock);
    }

    /**
     * Answers go to the reply queue each request named, else as events on the lane's bus. The
     * construct sets the bus on poll and enqueue; without one (a local run that set none) an answer
     * bound for the bus is handed back unsent and tried again on the next cycle.
     */
    @Produces
    @Singleton
    AnswerSink answers(BatchlaneConfig config) {
        var sqs =
                SqsClient.builder()
                        .httpClientBuilder(UrlConnectionHttpClient.builder())
                        .region(Region.of(config.aws().region()));
        config.aws().sqsEndpoint().ifPresent(sqs::endpointOverride);
        return new AwsAnswerSink(
                sqs.build(),
                config.eventBus().map(bus -> Wiring.eventBridge(config)).orElse(null),
                config.eventBus().orElse(null));
    }

    /** Parsed once at start: a bad policy fails the function's start with the queue and key. */
    @Produces
    @Singleton
    QueuePolicies policies(BatchlaneConfig config) {
        return QueuePolicies.parse(config.queues().orElse(null));
    }

    @Produces
    @Singleton
    AnswerDelivery delivery(ObjectStore objects, AnswerSink sink, BatchlaneConfig config) {
        return new AnswerDelivery(objects, sink, config.bucket());
    }

    @Produces
    @Singleton
    QueueIntake intake(
            QueueBuffer buffer,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            JobStore jobs,
            AnswerDelivery delivery,
            Clock clock,
            LaneMetrics metrics) {
        return new QueueIntake(
                buffer, objects, providers, settings, jobs, delivery, clock, metrics);
    }

    @Produces
    @Singleton
    EnqueueEvents enqueueEvents(
            QueueIntake intake, AnswerDelivery delivery, Providers providers, LaneMetrics metrics) {
        return new EnqueueEvents(intake, delivery, providers.names(), metrics);
    }

    @Produces
    @Singleton
    QueueFlusher flusher(
            QueueBuffer buffer,
            ObjectStore objects,
            Providers providers,
            LaneSettings settings,
            QueuePolicies policies,
            BatchlaneConfig config,
            Clock clock,
            LaneMetrics metrics) {
        return new QueueFlusher(
                buffer, objects, providers, settings, policies, config.bucket(), clock, metrics);
    }

    @Produces
    @Singleton
    QueueService queueService(
            QueueFlusher flusher,
            QueueBuffer buffer,
            ObjectStore objects,
            JobStore jobs,
            AnswerDelivery delivery,
            Clock clock,
            LaneMetrics metrics) {
        return new QueueService(
                flusher,
                new QueueAnswers(buffer, objects, jobs, delivery, flusher, clock, metrics));
    }

    @Produces
    @Singleton
    QueueLookup lookup(QueueBuffer buffer, ObjectStore objects) {
        return new QueueLookup(buffer, objects);
    }
}
