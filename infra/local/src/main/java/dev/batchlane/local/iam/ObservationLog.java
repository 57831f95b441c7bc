package dev.batchlane.local.iam;

import dev.batchlane.local.iam.EnforcingProxy.Observation;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Every decision the proxy made, in order, for tests to compare what the functions did with what
 * their roles grant; denials are also told to a listener (the stack logs them).
 */
final class ObservationLog {
    private final List<Observation> observations = new CopyOnWriteArrayList<>();
    private final Consumer<Observation> onDenial;

    /**
     * @param onDenial told of each denial, or null
     */
    ObservationLog(Consumer<Observation> onDenial) {
        this.onDenial = onDenial;
    }

    /** Records without telling the listener: an allowed call, or a key the stack never issued. */
    void add(Observation o) {
        observations.add(o);
    }

    /**
     * Tells the listener before the denial becomes visible in {@link #denials()}: a reader that
     * sees the denial then also sees everything the listener wrote about it (the stack's log line).
     */
    void addDenial(Observation o) {
        if (onDenial != null) {
            onDenial.accept(o);
        }
        observations.add(o);
    }

    List<Observation> all() {
        return List.copyOf(observations);
    }

    List<Observation> denials() {
        return observations.stream().filter(Observation::denied).toList();
    }
}
