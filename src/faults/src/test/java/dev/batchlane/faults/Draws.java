package dev.batchlane.faults;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.IntSupplier;

/** The seeded picks the simulators' faults share. */
final class Draws {
    private Draws() {}

    /**
     * Ids drawn at random while {@code i < bound}, the bound drawn again before each pick (as the
     * seeds recorded so far drew them, so they replay the same).
     */
    static Set<String> pick(Random r, List<String> ids, IntSupplier bound) {
        Set<String> picked = new HashSet<>();
        for (int i = 0; i < bound.getAsInt(); i++) {
            picked.add(ids.get(r.nextInt(ids.size())));
        }
        return picked;
    }

    /**
     * Whether a line fails, decided by its id alone, so the draw holds for its resubmission too.
     */
    static boolean byId(long salt, double fraction, String id) {
        return new Random(salt ^ id.hashCode()).nextDouble() < fraction;
    }
}
