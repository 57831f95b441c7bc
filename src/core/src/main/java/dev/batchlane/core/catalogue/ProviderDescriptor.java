package dev.batchlane.core.catalogue;

import dev.batchlane.core.money.ModelPrice;
import dev.batchlane.core.money.PriceRows;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything a host needs to know about one provider, as its adapter module registers it. The
 * adapter itself (its line contract, limits, statuses) is what {@link ProviderRegistration#create}
 * builds; this is the part the functions, the local stack, the CLI and the deployment read without
 * building it.
 *
 * @param name the provider's name in inbox prefixes, records, settings and metrics, e.g. {@code
 *     acme}
 * @param title the name people read, e.g. {@code Acme AI} (log lines, secret descriptions)
 * @param constructId the CamelCase stem of the deployment's resource ids and props for it, e.g.
 *     {@code Acme} makes {@code AcmeApiKey}, {@code AcmeApiKeySecretArn} and {@code
 *     acmeApiKeySecretArn}; fixed per provider because a deployed stack's logical ids must not move
 * @param credentials a key in Secrets Manager, or the functions' IAM roles only
 * @param lineShape how its native lines look, for detection; {@link LineShape#NONE} when another
 *     provider's shape covers them
 * @param settingAliases settings (relative to {@code batchlane.<name>.}) that also read a
 *     conventional environment variable, e.g. {@code base-url} from {@code ACME_BASE_URL}
 * @param local how the local stack chooses the real service over the simulator
 * @param deployment what the deployment gives it beyond its key
 * @param prices its price rows, read from a resource of its own module ({@link
 *     PriceRows#resource}); every row is for this provider, so the core's price table is the union
 *     of the catalogue's rows and names no provider itself
 */
public record ProviderDescriptor(
        String name,
        String title,
        String constructId,
        Credentials credentials,
        LineShape lineShape,
        Map<String, String> settingAliases,
        LocalRun local,
        Deployment deployment,
        PriceRows prices) {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]*");
    private static final Pattern CONSTRUCT_ID = Pattern.compile("[A-Z][A-Za-z0-9]*");

    public ProviderDescriptor {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "provider name '"
                            + name
                            + "' must be lower case letters, digits and '-' (it is an S3 prefix"
                            + " and a setting name)");
        }
        Objects.requireNonNull(title, "title of " + name);
        if (!CONSTRUCT_ID.matcher(constructId).matches()) {
            throw new IllegalArgumentException(
                    "constructId '" + constructId + "' of " + name + " must be CamelCase");
        }
        Objects.requireNonNull(credentials, "credentials of " + name);
        lineShape = lineShape == null ? LineShape.NONE : lineShape;
        settingAliases = settingAliases == null ? Map.of() : Map.copyOf(settingAliases);
        local = local == null ? LocalRun.simulatorOnly() : local;
        deployment = deployment == null ? Deployment.NONE : deployment;
        prices = prices == null ? PriceRows.NONE : prices;
        for (ModelPrice row : prices.rows()) {
            if (!row.provider().equals(name)) {
                throw new IllegalArgumentException(
                        "the price rows of provider '"
                                + name
                                + "' include one for provider '"
                                + row.provider()
                                + "' (model '"
                                + row.model()
                                + "'): a provider ships only its own prices");
            }
        }
    }

    public static Builder builder(String name, String title, String constructId) {
        return new Builder(name, title, constructId);
    }

    /** Where files for this provider are dropped: {@code inbox/<name>/}. */
    public String inboxPrefix() {
        return "inbox/" + name + "/";
    }

    /** The prefix of this provider's settings: {@code batchlane.<name>.}. */
    public String settingsPrefix() {
        return "batchlane." + name + ".";
    }

    /**
     * The function variable for setting {@code key} of this provider, as the functions' config
     * reads it: {@code base-url} of {@code acme} is {@code BATCHLANE_ACME_BASE_URL}.
     */
    public String settingEnv(String key) {
        return ("batchlane_" + name + "_" + key)
                .replaceAll("[^A-Za-z0-9]", "_")
                .toUpperCase(Locale.ROOT);
    }

    /**
     * The variable carrying the ARN of the key secret ({@code BATCHLANE_<NAME>_API_KEY_SECRET}),
     * which the deployment sets and the functions read; the setting {@code api-key-secret}.
     */
    public String keySecretEnv() {
        return settingEnv(ProviderContext.API_KEY_SECRET);
    }

    public boolean hasKey() {
        return credentials == Credentials.API_KEY;
    }

    /** The camelCase stem of deployment props, e.g. {@code acme}. */
    public String propStem() {
        return Character.toLowerCase(constructId.charAt(0)) + constructId.substring(1);
    }

    /**
     * Every function variable the deployment sets for this provider: its key secret's ARN, its
     * deployment settings and its service role's ARN.
     */
    public List<String> deploymentEnvironment() {
        List<String> env = new java.util.ArrayList<>();
        if (hasKey()) {
            env.add(keySecretEnv());
        }
        deployment.serviceRole().ifPresent(r -> env.add(settingEnv(r.setting())));
        deployment.settings().forEach(s -> env.add(settingEnv(s.setting())));
        return List.copyOf(env);
    }

    /**
     * What the deployment gives a provider beyond its key secret, as data the CDK construct
     * interprets (so the construct names no provider, and this module needs no CDK).
     *
     * @param prefixes the bucket prefixes the provider's service reads or writes itself
     * @param settings construct props that become function settings of this provider
     * @param serviceRole a role the provider's service assumes to act on the lane's resources
     * @param grants what each function's role may do for this provider, by handler name ({@code
     *     ingest}, {@code poll}, {@code complete}), in the order the statements are added
     */
    public record Deployment(
            List<String> prefixes,
            List<DeploySetting> settings,
            java.util.Optional<ServiceRole> serviceRole,
            Map<String, List<Grant>> grants) {
        public static final Deployment NONE =
                new Deployment(List.of(), List.of(), java.util.Optional.empty(), Map.of());

        public Deployment {
            prefixes = List.copyOf(prefixes);
            settings = List.copyOf(settings);
            serviceRole = serviceRole == null ? java.util.Optional.empty() : serviceRole;
            grants = Map.copyOf(grants);
        }

        public List<Grant> grants(String handler) {
            return grants.getOrDefault(handler, List.of());
        }
    }

    /**
     * A construct prop (context key {@code prop}, a comma-separated list) that sets the function
     * setting {@code setting} to its first item; grants read the whole list ({@link
     * DeploymentRefs#values}).
     *
     * @param expected what a valid item is, for the error message
     */
    public record DeploySetting(
            String prop, String defaultValue, Pattern item, String expected, String setting) {}

    /**
     * One IAM statement: actions on resources, under conditions, each resolved against the
     * deployment's own resources.
     */
    public record Grant(
            List<String> actions,
            java.util.function.Function<DeploymentRefs, List<String>> resources,
            java.util.function.Function<DeploymentRefs, Map<String, Object>> conditions) {
        public Grant {
            actions = List.copyOf(actions);
        }

        public static Grant of(
                List<String> actions,
                java.util.function.Function<DeploymentRefs, List<String>> resources) {
            return new Grant(actions, resources, refs -> Map.of());
        }
    }

    /**
     * A role the provider's service assumes (trusted by {@code principal} under {@code trust}),
     * with {@code statements}; its ARN is passed to the functions as setting {@code setting}.
     */
    public record ServiceRole(
            String principal,
            java.util.function.Function<DeploymentRefs, Map<String, Object>> trust,
            String description,
            List<Grant> statements,
            String setting) {
        public ServiceRole {
            statements = List.copyOf(statements);
        }
    }

    /** The deployment's resources as a grant refers to them (CloudFormation tokens, in the CDK). */
    public interface DeploymentRefs {
        String region();

        String account();

        String bucketArn();

        /** The ARN of the bucket's objects under {@code pattern}, e.g. {@code prefix/*}. */
        String objects(String pattern);

        String dataKeyArn();

        /** The provider's own service role; fails when it declares none. */
        String serviceRoleArn();

        /** The items of the deployment setting {@code prop}. */
        List<String> values(String prop);
    }

    public static final class Builder {
        private final String name;
        private final String title;
        private final String constructId;
        private Credentials credentials = Credentials.API_KEY;
        private LineShape lineShape = LineShape.NONE;
        private Map<String, String> settingAliases = Map.of();
        private LocalRun local = LocalRun.simulatorOnly();
        private Deployment deployment = Deployment.NONE;
        private PriceRows prices = PriceRows.NONE;

        private Builder(String name, String title, String constructId) {
            this.name = name;
            this.title = title;
            this.constructId = constructId;
        }

        public Builder credentials(Credentials c) {
            this.credentials = c;
            return this;
        }

        public Builder lineShape(LineShape s) {
            this.lineShape = s;
            return this;
        }

        public Builder settingAliases(Map<String, String> aliases) {
            this.settingAliases = aliases;
            return this;
        }

        public Builder local(LocalRun l) {
            this.local = l;
            return this;
        }

        public Builder deployment(Deployment d) {
            this.deployment = d;
            return this;
        }

        public Builder prices(PriceRows p) {
            this.prices = p;
            return this;
        }

        public ProviderDescriptor build() {
            return new ProviderDescriptor(
                    name,
                    title,
                    constructId,
                    credentials,
                    lineShape,
                    settingAliases,
                    local,
                    deployment,
                    prices);
        }
    }
}
