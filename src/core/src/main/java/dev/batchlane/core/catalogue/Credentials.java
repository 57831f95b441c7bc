package dev.batchlane.core.catalogue;

/** How a provider authenticates the lane's calls. */
public enum Credentials {
    /**
     * An API key held in Secrets Manager; the deployment makes one secret per provider and passes
     * its ARN as {@link ProviderDescriptor#keySecretEnv()}.
     */
    API_KEY,
    /** No key: the functions' own IAM roles (and whatever the deployment grants them). */
    IAM
}
