package dev.batchlane.core.queue;

import java.util.List;

/**
 * Where answers go: each to the SQS queue its request named, or as an event. Delivery is at least
 * once (a step that dies between sending and recording sends again); every answer carries its queue
 * and request id so a receiver can drop a repeat.
 */
public interface AnswerSink {

    /**
     * Sends {@code answers}; returns those that could not be sent (they are sent again on the next
     * cycle). Throws only when nothing could be attempted.
     */
    List<Answer> send(List<Answer> answers);

    AnswerSink NONE = answers -> List.of();
}
