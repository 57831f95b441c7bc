package dev.batchlane.core.queue;

import java.time.Instant;

/**
 * What waits in one group: how many requests and bytes (counted as they arrive and leave; a count
 * can lag after a crash, never the requests themselves) and when the oldest arrived (null: none).
 */
public record GroupDepth(QueueGroup group, long requests, long bytes, Instant oldest) {}
