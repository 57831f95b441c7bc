package dev.batchlane.core.catalogue;

import java.util.Optional;

/**
 * How the local stack chooses between the real service and the provider's simulator: the real one
 * when {@code keyVariable} is set in the environment (and, when {@code baseUrlRequired}, {@code
 * baseUrlVariable} too, for services whose address names the customer's resource).
 *
 * @param keyVariable the environment variable with a real key, e.g. {@code ACME_API_KEY}; empty for
 *     providers that have no key (the simulator always stands in)
 * @param baseUrlVariable the environment variable with the real service's address
 * @param baseUrlRequired true when there is no public address to default to
 */
public record LocalRun(
        Optional<String> keyVariable, Optional<String> baseUrlVariable, boolean baseUrlRequired) {

    public static LocalRun realWith(String keyVariable, String baseUrlVariable) {
        return new LocalRun(Optional.of(keyVariable), Optional.of(baseUrlVariable), false);
    }

    /** A service whose address is the customer's own (nothing public to default to). */
    public static LocalRun realWithOwnAddress(String keyVariable, String baseUrlVariable) {
        return new LocalRun(Optional.of(keyVariable), Optional.of(baseUrlVariable), true);
    }

    /** Always the simulator on the local stack. */
    public static LocalRun simulatorOnly() {
        return new LocalRun(Optional.empty(), Optional.empty(), false);
    }
}
