package dev.batchlane.core.queue;

/**
 * One request's answer: the joined line a file job writes for it (or, when that is too big to
 * carry, a pointer to where it is kept), and where it goes.
 *
 * @param replyTo the SQS queue URL named with the request; null: published as an event
 * @param body the JSON the application receives
 * @param outcome the line's outcome ({@code succeeded}, {@code failed}, ..., or {@code rejected})
 */
public record Answer(
        QueueName queue, String requestId, String replyTo, String body, String outcome) {

    /** SQS's and EventBridge's largest message: beyond it an answer says where to read it. */
    public static final int MAX_CARRIED_BYTES = 200 * 1024;
}
