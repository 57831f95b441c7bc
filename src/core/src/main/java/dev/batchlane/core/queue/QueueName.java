package dev.batchlane.core.queue;

import java.util.regex.Pattern;

/**
 * One queue: a provider and a name, {@code openai/tickets}. Request ids are unique within a queue
 * only; everything the lane keys by id is keyed by the queue too.
 */
public record QueueName(String provider, String name) {
    private static final Pattern PART = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

    public QueueName {
        check("provider", provider);
        check("queue name", name);
    }

    /** {@code provider/name}, as a queue is named in settings, keys and the CLI. */
    public static QueueName parse(String text) {
        int slash = text == null ? -1 : text.indexOf('/');
        if (slash <= 0 || slash != text.lastIndexOf('/')) {
            throw new IllegalArgumentException(
                    "a queue is named <provider>/<name>, e.g. <provider>/tickets; got '"
                            + text
                            + "'");
        }
        return new QueueName(text.substring(0, slash), text.substring(slash + 1));
    }

    public String id() {
        return provider + "/" + name;
    }

    @Override
    public String toString() {
        return id();
    }

    private static void check(String what, String value) {
        if (value == null || !PART.matcher(value).matches()) {
            throw new IllegalArgumentException(
                    "a queue's "
                            + what
                            + " is 1 to 64 characters of a-z, 0-9, '-' and '_', starting with a"
                            + " letter or digit; got '"
                            + value
                            + "'");
        }
    }
}
