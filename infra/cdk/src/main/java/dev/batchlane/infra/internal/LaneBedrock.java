package dev.batchlane.infra.internal;

import static dev.batchlane.infra.BatchlaneContract.PREFIX_BEDROCK_INPUT;
import static dev.batchlane.infra.BatchlaneContract.PREFIX_BEDROCK_OUTPUT;

import dev.batchlane.infra.BatchlaneContract.Handler;
import dev.batchlane.infra.BatchlaneProps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.iam.IRole;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.constructs.Construct;

/**
 * Amazon Bedrock batch inference for the lane: the service role Bedrock assumes for the lane's
 * jobs, and what each function may do with Bedrock. The role is trusted by bedrock.amazonaws.com
 * only for this account's model invocation jobs, reads only the Bedrock input prefix and writes
 * only the output prefix of the lane's bucket, with the data key only through S3. Functions may
 * pass exactly this role, and create jobs and invoke only the configured models.
 */
public final class LaneBedrock extends Construct {
    private final Role serviceRole;
    private final BatchlaneProps props;
    private final LaneState state;

    public LaneBedrock(Construct scope, String id, BatchlaneProps props, LaneState state) {
        super(scope, id);
        this.props = props;
        this.state = state;
        String account = Stack.of(this).getAccount();
        // Sorted: Map.of iterates differently in each JVM, and the trust policy would change on
        // every synth.
        Map<String, Object> conditions =
                new TreeMap<>(
                        Map.of(
                                "StringEquals", Map.of("aws:SourceAccount", account),
                                "ArnEquals", Map.of("aws:SourceArn", jobArns())));
        serviceRole =
                Role.Builder.create(this, "ServiceRole")
                        .assumedBy(
                                new ServicePrincipal("bedrock.amazonaws.com")
                                        .withConditions(conditions))
                        .description(
                                "Batchlane: Bedrock batch inference reads "
                                        + PREFIX_BEDROCK_INPUT
                                        + " and writes "
                                        + PREFIX_BEDROCK_OUTPUT
                                        + " of the lane's bucket")
                        .build();
        serviceRole.addToPrincipalPolicy(
                PolicyStatement.Builder.create()
                        .actions(List.of("s3:GetObject"))
                        .resources(
                                List.of(state.bucket().arnForObjects(PREFIX_BEDROCK_INPUT + "*")))
                        .build());
        serviceRole.addToPrincipalPolicy(
                PolicyStatement.Builder.create()
                        .actions(List.of("s3:PutObject"))
                        .resources(
                                List.of(state.bucket().arnForObjects(PREFIX_BEDROCK_OUTPUT + "*")))
                        .build());
        serviceRole.addToPrincipalPolicy(listUnder(PREFIX_BEDROCK_INPUT, PREFIX_BEDROCK_OUTPUT));
        serviceRole.addToPrincipalPolicy(viaS3("kms:Decrypt"));
        serviceRole.addToPrincipalPolicy(viaS3("kms:Encrypt", "kms:GenerateDataKey"));
        // A cross-Region inference profile is invoked by the service role on the profile and its
        // models.
        serviceRole.addToPrincipalPolicy(
                PolicyStatement.Builder.create()
                        .actions(List.of("bedrock:InvokeModel"))
                        .resources(modelArns())
                        .build());
    }

    public Role serviceRole() {
        return serviceRole;
    }

    /** What a function's own role may do with Bedrock, by what it does. */
    void grant(Handler handler, IRole role) {
        switch (handler) {
            case INGEST, POLL -> {
                // Both submit shards (ingest right after staging, poll those held back) and cancel
                // jobs.
                // What each grant is for was checked by the local stack's enforcement in a Bedrock
                // run.
                role.addToPrincipalPolicy(
                        PolicyStatement.Builder.create()
                                .actions(List.of("iam:PassRole"))
                                .resources(List.of(serviceRole.getRoleArn()))
                                .conditions(
                                        Map.of(
                                                "StringEquals",
                                                Map.of(
                                                        "iam:PassedToService",
                                                        "bedrock.amazonaws.com")))
                                .build());
                List<String> createOn = new ArrayList<>(modelArns());
                createOn.add(jobArns());
                role.addToPrincipalPolicy(
                        PolicyStatement.Builder.create()
                                .actions(List.of("bedrock:CreateModelInvocationJob"))
                                .resources(createOn)
                                .build());
                // The tags name the job the create makes; a model is never tagged.
                role.addToPrincipalPolicy(
                        PolicyStatement.Builder.create()
                                .actions(List.of("bedrock:TagResource"))
                                .resources(List.of(jobArns()))
                                .build());
                // Poll follows jobs; both stop them (a cancel, or one found cancelled right after
                // its create).
                role.addToPrincipalPolicy(
                        PolicyStatement.Builder.create()
                                .actions(
                                        handler == Handler.POLL
                                                ? List.of(
                                                        "bedrock:GetModelInvocationJob",
                                                        "bedrock:StopModelInvocationJob")
                                                : List.of("bedrock:StopModelInvocationJob"))
                                .resources(List.of(jobArns()))
                                .build());
                // ListModelInvocationJobs (pacing against the concurrent-jobs quota) has no
                // resource type:
                // IAM authorizes it only on "*".
                role.addToPrincipalPolicy(
                        PolicyStatement.Builder.create()
                                .actions(List.of("bedrock:ListModelInvocationJobs"))
                                .resources(List.of("*"))
                                .build());
                // The staged shard is copied server-side to the input prefix and its first records
                // read
                // back (is it below the minimum?).
                List<String> objects =
                        new ArrayList<>(
                                List.of(state.bucket().arnForObjects(PREFIX_BEDROCK_INPUT + "*")));
                if (handler == Handler.POLL) {
                    // Poll alone runs the shards below a job's minimum through bedrock-runtime, and
                    // writes (and reads back) their output lines itself.
                    role.addToPrincipalPolicy(
                            PolicyStatement.Builder.create()
                                    .actions(List.of("bedrock:InvokeModel"))
                                    .resources(modelArns())
                                    .build());
                    objects.add(state.bucket().arnForObjects(PREFIX_BEDROCK_OUTPUT + "*"));
                }
                role.addToPrincipalPolicy(
                        PolicyStatement.Builder.create()
                                .actions(List.of("s3:GetObject", "s3:PutObject"))
                                .resources(objects)
                                .build());
                role.addToPrincipalPolicy(listUnder(PREFIX_BEDROCK_OUTPUT));
                role.addToPrincipalPolicy(
                        viaS3("kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"));
            }
            case COMPLETE -> {
                // Reads the output lines and the manifest, then deletes input copy and output once
                // results are written.
                role.addToPrincipalPolicy(
                        PolicyStatement.Builder.create()
                                .actions(List.of("s3:GetObject"))
                                .resources(
                                        List.of(
                                                state.bucket()
                                                        .arnForObjects(
                                                                PREFIX_BEDROCK_OUTPUT + "*")))
                                .build());
                role.addToPrincipalPolicy(
                        PolicyStatement.Builder.create()
                                .actions(List.of("s3:DeleteObject"))
                                .resources(
                                        List.of(
                                                state.bucket()
                                                        .arnForObjects(PREFIX_BEDROCK_INPUT + "*"),
                                                state.bucket()
                                                        .arnForObjects(
                                                                PREFIX_BEDROCK_OUTPUT + "*")))
                                .build());
                role.addToPrincipalPolicy(listUnder(PREFIX_BEDROCK_OUTPUT));
                role.addToPrincipalPolicy(viaS3("kms:Decrypt"));
            }
            default ->
                    throw new IllegalStateException(
                            "no Bedrock permissions defined for handler " + handler);
        }
    }

    /** This account's model invocation jobs in this Region. */
    private String jobArns() {
        Stack stack = Stack.of(this);
        return "arn:aws:bedrock:"
                + stack.getRegion()
                + ":"
                + stack.getAccount()
                + ":model-invocation-job/*";
    }

    /**
     * The configured models: a foundation model by id, or a cross-Region inference profile together
     * with the foundation model it routes to in any Region.
     */
    List<String> modelArns() {
        Stack stack = Stack.of(this);
        List<String> arns = new ArrayList<>();
        for (String model : props.bedrockModels()) {
            String base = model;
            if (model.matches("(us|eu|apac|us-gov|ca|jp|au|global)\\..+")) {
                arns.add(
                        "arn:aws:bedrock:"
                                + stack.getRegion()
                                + ":"
                                + stack.getAccount()
                                + ":inference-profile/"
                                + model);
                base = model.substring(model.indexOf('.') + 1);
                arns.add("arn:aws:bedrock:*::foundation-model/" + base);
            } else {
                arns.add("arn:aws:bedrock:" + stack.getRegion() + "::foundation-model/" + base);
            }
        }
        return arns;
    }

    private PolicyStatement listUnder(String... prefixes) {
        List<String> keys = new ArrayList<>();
        for (String p : prefixes) {
            keys.add(p + "*");
        }
        return PolicyStatement.Builder.create()
                .actions(List.of("s3:ListBucket"))
                .resources(List.of(state.bucket().getBucketArn()))
                .conditions(Map.of("StringLike", Map.of("s3:prefix", keys)))
                .build();
    }

    private PolicyStatement viaS3(String... actions) {
        return PolicyStatement.Builder.create()
                .actions(List.of(actions))
                .resources(List.of(state.dataKey().getKeyArn()))
                .conditions(
                        Map.of(
                                "StringEquals",
                                Map.of(
                                        "kms:ViaService",
                                        "s3." + Stack.of(this).getRegion() + ".amazonaws.com")))
                .build();
    }
}
