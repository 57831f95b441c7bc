package dev.batchlane.core.lane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.testkit.ScriptedProvider;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Providers built on first use, once; the deployment's other names known as not enabled. */
class ProvidersTest {

    @Test
    void lazy_buildsAProviderOnItsFirstUseOnly_andOnce() {
        AtomicInteger alphaBuilds = new AtomicInteger();
        AtomicInteger betaBuilds = new AtomicInteger();
        Map<String, Supplier<Optional<BatchProvider>>> builders = new LinkedHashMap<>();
        builders.put(
                "alpha",
                () -> {
                    alphaBuilds.incrementAndGet();
                    return Optional.of(new ScriptedProvider("alpha"));
                });
        builders.put(
                "beta",
                () -> {
                    betaBuilds.incrementAndGet();
                    return Optional.of(new ScriptedProvider("beta"));
                });
        Providers providers = Providers.lazy(builders, List.of());

        assertThat(providers.names()).containsExactly("alpha", "beta");
        assertThat(alphaBuilds.get() + betaBuilds.get()).as("naming builds nothing").isZero();
        BatchProvider first = providers.get("alpha");
        assertThat(providers.get("alpha")).isSameAs(first);
        assertThat(alphaBuilds).hasValue(1);
        assertThat(betaBuilds).as("never used, never built").hasValue(0);
    }

    @Test
    void lazy_aBuildThatFails_isTriedAgainOnTheNextUse_andFailsNoOtherProvider() {
        AtomicInteger attempts = new AtomicInteger();
        Map<String, Supplier<Optional<BatchProvider>>> builders = new LinkedHashMap<>();
        builders.put(
                "alpha",
                () -> {
                    if (attempts.incrementAndGet() == 1) {
                        throw new IllegalStateException("the alpha API key secret s is empty");
                    }
                    return Optional.of(new ScriptedProvider("alpha"));
                });
        builders.put("beta", () -> Optional.of(new ScriptedProvider("beta")));
        Providers providers = Providers.lazy(builders, List.of());

        assertThatThrownBy(() -> providers.find("alpha")).hasMessageContaining("is empty");
        assertThat(providers.find("beta")).isPresent();
        assertThat(providers.find("alpha")).isPresent();
        assertThat(attempts).hasValue(2);
    }

    @Test
    void lazy_aProviderNotConfiguredHere_isFoundEmpty_andNotBuiltAgain() {
        AtomicInteger builds = new AtomicInteger();
        Providers providers =
                Providers.lazy(
                        Map.of(
                                "alpha",
                                () -> {
                                    builds.incrementAndGet();
                                    return Optional.empty();
                                }),
                        List.of());
        assertThat(providers.find("alpha")).isEmpty();
        assertThat(providers.find("alpha")).isEmpty();
        assertThat(builds).hasValue(1);
        assertThatThrownBy(() -> providers.get("alpha"))
                .hasMessageContaining("no adapter for provider 'alpha'");
    }

    @Test
    void aProviderTheDeploymentLeftOut_isNotEnabled_andGetSaysSo() {
        Providers providers =
                Providers.lazy(
                        Map.of("alpha", () -> Optional.of(new ScriptedProvider("alpha"))),
                        List.of("beta"));
        assertThat(providers.isNotEnabled("beta")).isTrue();
        assertThat(providers.isNotEnabled("alpha")).isFalse();
        assertThat(providers.isNotEnabled("gamma")).as("unknown is not 'not enabled'").isFalse();
        assertThat(providers.find("beta")).isEmpty();
        assertThatThrownBy(() -> providers.get("beta"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("provider 'beta' is not enabled in this deployment; enabled: [alpha]");
    }

    @Test
    void aNameBothEnabledAndNotEnabled_isRefused() {
        assertThatThrownBy(
                        () ->
                                Providers.lazy(
                                        Map.of(
                                                "alpha",
                                                () -> Optional.of(new ScriptedProvider("alpha"))),
                                        List.of("alpha")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'alpha' is both enabled and not enabled");
    }
}
