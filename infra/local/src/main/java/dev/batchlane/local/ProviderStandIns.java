package dev.batchlane.local;

import dev.batchlane.core.catalogue.LocalRun;
import dev.batchlane.core.catalogue.ProviderCatalogue;
import dev.batchlane.core.catalogue.ProviderContext;
import dev.batchlane.core.catalogue.ProviderDescriptor;
import dev.batchlane.local.standin.SimulatorRegistry;
import dev.batchlane.local.standin.StandIn;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Each provider of the catalogue as the local stack runs it: the real service when the environment
 * names it (its {@link LocalRun} variables), else its simulator. Knows no provider by name: what
 * differs is in the descriptors and in {@link SimulatorRegistry}.
 */
final class ProviderStandIns implements AutoCloseable {
    private final List<AutoCloseable> running = new ArrayList<>();
    private final Map<String, Object> simulators = new LinkedHashMap<>();
    private final Map<ProviderDescriptor, Target> targets = new LinkedHashMap<>();
    private final List<StandIn.AwsService> awsServices = new ArrayList<>();
    private final List<String> description = new ArrayList<>();

    /** Where one provider's calls go: its settings (given the IAM proxy) and its key, if any. */
    private record Target(
            java.util.function.Function<URI, Map<String, String>> settings,
            java.util.function.Function<URI, Map<String, String>> environment,
            Optional<String> key) {}

    private ProviderStandIns() {}

    /**
     * Starts a simulator for every provider the environment does not send to its real service.
     *
     * @param env the variables that select real services (the process environment for {@code
     *     ./batchlane}; tests pass none, so every provider runs on its simulator)
     */
    static ProviderStandIns start(
            ProviderCatalogue catalogue, Map<String, String> env, StandIn.Context context) {
        ProviderStandIns standIns = new ProviderStandIns();
        try {
            for (ProviderDescriptor d : catalogue.descriptors()) {
                standIns.add(d, env, context);
            }
            return standIns;
        } catch (RuntimeException e) {
            standIns.close();
            throw e;
        }
    }

    private void add(ProviderDescriptor d, Map<String, String> env, StandIn.Context context) {
        LocalRun local = d.local();
        String key = local.keyVariable().map(env::get).filter(v -> !v.isBlank()).orElse(null);
        String url = local.baseUrlVariable().map(env::get).filter(v -> !v.isBlank()).orElse(null);
        if (key != null && (url != null || !local.baseUrlRequired())) {
            Map<String, String> settings = new LinkedHashMap<>();
            if (url != null) {
                settings.put("base-url", url);
            }
            targets.put(d, new Target(proxy -> settings, proxy -> Map.of(), Optional.of(key)));
            description.add(
                    d.title()
                            + " at "
                            + (url == null ? "its public API" : url)
                            + " ("
                            + local.keyVariable().get()
                            + " is set)");
            return;
        }
        StandIn.Starter starter =
                SimulatorRegistry.find(d.name())
                        .orElseThrow(
                                () ->
                                        new IllegalStateException(
                                                "provider '"
                                                        + d.name()
                                                        + "' is in the catalogue but has no"
                                                        + " simulator registered for the local"
                                                        + " stack (SimulatorRegistry); set "
                                                        + local.keyVariable()
                                                                .orElse("its key variable")
                                                        + " to use the real service"));
        StandIn standIn = starter.start(context);
        running.add(standIn.simulator());
        simulators.put(d.name(), standIn.simulator());
        standIn.awsService().ifPresent(awsServices::add);
        targets.put(d, new Target(standIn.settings(), standIn.environment(), standIn.apiKey()));
        description.add(
                "the "
                        + d.title()
                        + " simulator at "
                        + standIn.address()
                        + local.keyVariable()
                                .map(v -> " (set " + v + " for the real API)")
                                .orElse(""));
    }

    /** The functions' variables that point every provider at its target. */
    Map<String, String> functionEnvironment(URI proxy) {
        Map<String, String> env = new LinkedHashMap<>();
        targets.forEach(
                (d, t) -> {
                    t.settings().apply(proxy).forEach((k, v) -> env.put(d.settingEnv(k), v));
                    env.putAll(t.environment().apply(proxy));
                    // Also as the plain setting: the secret the template names serves it too.
                    t.key().ifPresent(k -> env.put(d.settingEnv(ProviderContext.API_KEY), k));
                });
        return env;
    }

    /**
     * The key each keyed provider's secret holds (the ARN is the one the template gives the
     * functions, as deployed functions read it), by the variable that carries the ARN.
     */
    Map<String, String> keysBySecretVariable() {
        Map<String, String> keys = new LinkedHashMap<>();
        targets.forEach(
                (d, t) -> {
                    if (d.hasKey()) {
                        t.key().ifPresent(k -> keys.put(d.keySecretEnv(), k));
                    }
                });
        return keys;
    }

    List<StandIn.AwsService> awsServices() {
        return List.copyOf(awsServices);
    }

    String description() {
        return String.join("; ", description);
    }

    /** The simulator standing in for {@code provider}, when one does. */
    <T> Optional<T> simulator(String provider, Class<T> type) {
        return Optional.ofNullable(simulators.get(provider))
                .filter(type::isInstance)
                .map(type::cast);
    }

    @Override
    public void close() {
        for (int i = running.size() - 1; i >= 0; i--) {
            try {
                running.get(i).close();
            } catch (Exception e) {
                // A simulator that fails to stop holds only a loopback port of this process.
            }
        }
    }
}
