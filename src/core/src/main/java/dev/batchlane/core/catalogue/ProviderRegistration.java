package dev.batchlane.core.catalogue;

import dev.batchlane.core.provider.BatchProvider;

/**
 * One provider, as its adapter module registers it: a class implementing this, named on one line of
 * {@code META-INF/services/dev.batchlane.core.catalogue.ProviderRegistration} in that module. Hosts
 * that only read the descriptor (the CDK construct, the CLI) never call {@link #create}, so the
 * adapter's own dependencies need not be on their class path.
 */
public interface ProviderRegistration {
    ProviderDescriptor descriptor();

    /**
     * The adapter, configured from {@code context}; empty when the provider is not configured here
     * (a service whose address is the customer's own, and none is set).
     */
    java.util.Optional<BatchProvider> create(ProviderContext context);
}
