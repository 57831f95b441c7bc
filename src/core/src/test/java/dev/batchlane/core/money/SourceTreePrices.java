package dev.batchlane.core.money;

import dev.batchlane.core.catalogue.ProviderContext;
import dev.batchlane.core.catalogue.ProviderDescriptor;
import dev.batchlane.core.catalogue.ProviderRegistration;
import dev.batchlane.core.provider.BatchProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The core's tests price their jobs as the lane does, but the core ships no prices and cannot
 * depend on the adapters that do (they depend on it). So its test class path registers these
 * stand-ins, which carry the adapters' own price files read from the source tree: the manifests and
 * bills the core's tests compare keep their exact amounts, and a change to a provider's prices
 * still shows in them. They build no adapter. Registered in this module's test resources only; the
 * test-jar leaves the registration out, so modules with the real adapters never see two
 * registrations of one provider.
 */
public abstract class SourceTreePrices implements ProviderRegistration {
    private final ProviderDescriptor descriptor;

    SourceTreePrices(String name, String constructId, String module) {
        Path file =
                sourceRoot()
                        .resolve(module)
                        .resolve("src/main/resources/dev/batchlane/provider")
                        .resolve(module)
                        .resolve("prices")
                        .resolve(name + ".json");
        try (InputStream in = Files.newInputStream(file)) {
            descriptor =
                    ProviderDescriptor.builder(name, name + " (prices only)", constructId)
                            .prices(PriceRows.read(in, file.toString()))
                            .build();
        } catch (IOException e) {
            throw new UncheckedIOException("the price rows " + file + " are unreadable", e);
        }
    }

    @Override
    public ProviderDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public Optional<BatchProvider> create(ProviderContext context) {
        return Optional.empty();
    }

    /**
     * {@code src/}, from where this class was compiled to ({@code src/core/target/test-classes}).
     */
    private static Path sourceRoot() {
        try {
            Path classes =
                    Path.of(
                            SourceTreePrices.class
                                    .getProtectionDomain()
                                    .getCodeSource()
                                    .getLocation()
                                    .toURI());
            return classes.getParent().getParent().getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static final class OpenAi extends SourceTreePrices {
        public OpenAi() {
            super("openai", "OpenAi", "openai");
        }
    }

    public static final class Anthropic extends SourceTreePrices {
        public Anthropic() {
            super("anthropic", "Anthropic", "anthropic");
        }
    }
}
