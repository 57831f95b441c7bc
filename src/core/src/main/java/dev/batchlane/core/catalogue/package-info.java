/**
 * The provider catalogue: each adapter module registers one {@link ProviderRegistration} (a line in
 * {@code META-INF/services/dev.batchlane.core.catalogue.ProviderRegistration}) whose {@link
 * ProviderDescriptor} says everything a host needs to run that provider — its name and inbox
 * prefix, how its key is held, how its lines look, how the local stack reaches the real service,
 * what the deployment must give it, and its price rows (the core ships none; its price table is the
 * union of the registered providers' rows). The functions, {@code ./batchlane}, the local stack and
 * the CDK construct iterate {@link ProviderCatalogue}; none of them names a provider.
 */
package dev.batchlane.core.catalogue;
