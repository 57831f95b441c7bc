package dev.batchlane.infra.internal;

import dev.batchlane.core.catalogue.ProviderDescriptor;
import dev.batchlane.core.catalogue.ProviderDescriptor.DeploymentRefs;
import dev.batchlane.core.catalogue.ProviderDescriptor.Grant;
import dev.batchlane.infra.BatchlaneContract.Handler;
import dev.batchlane.infra.BatchlaneProps;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.iam.IRole;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.constructs.Construct;

/**
 * What one provider's descriptor asks of the deployment beyond its key: a service role its service
 * assumes, the statements each function's role gets for it, the function settings it is given.
 * Interprets {@link ProviderDescriptor.Deployment}; knows no provider.
 */
public final class ProviderDeployment extends Construct {
    private final ProviderDescriptor provider;
    private final Role serviceRole;
    private final DeploymentRefs refs;

    public ProviderDeployment(
            Construct scope, ProviderDescriptor provider, BatchlaneProps props, LaneState state) {
        super(scope, provider.constructId());
        this.provider = provider;
        Stack stack = Stack.of(this);
        Role[] role = new Role[1];
        this.refs =
                new DeploymentRefs() {
                    public String region() {
                        return stack.getRegion();
                    }

                    public String account() {
                        return stack.getAccount();
                    }

                    public String bucketArn() {
                        return state.bucket().getBucketArn();
                    }

                    public String objects(String pattern) {
                        return state.bucket().arnForObjects(pattern);
                    }

                    public String dataKeyArn() {
                        return state.dataKey().getKeyArn();
                    }

                    public String serviceRoleArn() {
                        if (role[0] == null) {
                            throw new IllegalStateException(
                                    provider.name() + " declares no service role");
                        }
                        return role[0].getRoleArn();
                    }

                    public List<String> values(String prop) {
                        return props.providerValues(prop);
                    }
                };
        this.serviceRole =
                provider.deployment()
                        .serviceRole()
                        .map(
                                spec -> {
                                    Role r =
                                            Role.Builder.create(this, "ServiceRole")
                                                    .assumedBy(
                                                            new ServicePrincipal(spec.principal())
                                                                    .withConditions(
                                                                            spec.trust()
                                                                                    .apply(refs)))
                                                    .description(spec.description())
                                                    .build();
                                    role[0] = r;
                                    spec.statements()
                                            .forEach(g -> r.addToPrincipalPolicy(statement(g)));
                                    return r;
                                })
                        .orElse(null);
    }

    public ProviderDescriptor provider() {
        return provider;
    }

    public Optional<IRole> serviceRole() {
        return Optional.ofNullable(serviceRole);
    }

    /** What {@code handler}'s role may do for this provider. */
    void grant(Handler handler, IRole role) {
        provider.deployment()
                .grants(handler.handlerName())
                .forEach(g -> role.addToPrincipalPolicy(statement(g)));
    }

    /** The function settings this provider is given: its service role's ARN, its props. */
    void environment(Map<String, String> environment, BatchlaneProps props) {
        provider.deployment()
                .serviceRole()
                .ifPresent(
                        spec ->
                                environment.put(
                                        provider.settingEnv(spec.setting()),
                                        serviceRole.getRoleArn()));
        for (ProviderDescriptor.DeploySetting s : provider.deployment().settings()) {
            environment.put(
                    provider.settingEnv(s.setting()), props.providerValues(s.prop()).get(0));
        }
    }

    private PolicyStatement statement(Grant g) {
        var b =
                PolicyStatement.Builder.create()
                        .actions(g.actions())
                        .resources(g.resources().apply(refs));
        Map<String, Object> conditions = g.conditions().apply(refs);
        if (!conditions.isEmpty()) {
            b.conditions(conditions);
        }
        return b.build();
    }
}
