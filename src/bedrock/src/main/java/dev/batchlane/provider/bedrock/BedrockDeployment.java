package dev.batchlane.provider.bedrock;

import dev.batchlane.core.catalogue.ProviderDescriptor.DeploySetting;
import dev.batchlane.core.catalogue.ProviderDescriptor.Deployment;
import dev.batchlane.core.catalogue.ProviderDescriptor.DeploymentRefs;
import dev.batchlane.core.catalogue.ProviderDescriptor.Grant;
import dev.batchlane.core.catalogue.ProviderDescriptor.ServiceRole;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What the deployment gives Bedrock batch inference: the service role Bedrock assumes for the
 * lane's jobs, and what each function may do with Bedrock. The role is trusted by
 * bedrock.amazonaws.com only for this account's model invocation jobs, reads only the input prefix
 * and writes only the output prefix of the lane's bucket, with the data key only through S3.
 * Functions may pass exactly this role, and create jobs and invoke only the configured models. What
 * each grant is for was checked by the local stack's enforcement in a Bedrock run.
 */
final class BedrockDeployment {
    private BedrockDeployment() {}

    static final String MODELS = "bedrockModels";
    private static final String SERVICE = "bedrock.amazonaws.com";
    private static final String IN = BedrockRegistration.INPUT_PREFIX;
    private static final String OUT = BedrockRegistration.OUTPUT_PREFIX;

    /**
     * A model id ({@code anthropic.claude-3-haiku-20240307-v1:0}) or a cross-Region profile id
     * ({@code us.…}).
     */
    private static final Pattern MODEL =
            Pattern.compile("[a-z0-9-]{1,63}(\\.[a-z0-9-]{1,63}){1,2}(:[a-z0-9-]{1,63}){0,2}");

    static Deployment deployment() {
        return new Deployment(
                List.of(IN, OUT),
                List.of(
                        new DeploySetting(
                                MODELS,
                                "anthropic.claude-3-haiku-20240307-v1:0",
                                MODEL,
                                "a comma-separated list of Bedrock model ids or inference profile"
                                        + " ids (the first is the default)",
                                "default-model")),
                Optional.of(serviceRole()),
                Map.of(
                        "ingest", submitting(false),
                        "poll", submitting(true),
                        "complete", completing()));
    }

    private static ServiceRole serviceRole() {
        return new ServiceRole(
                SERVICE,
                // Sorted: a hash map iterates differently in each JVM, and the trust policy would
                // change on every synth.
                r ->
                        new TreeMap<>(
                                Map.of(
                                        "StringEquals", Map.of("aws:SourceAccount", r.account()),
                                        "ArnEquals", Map.of("aws:SourceArn", jobArns(r)))),
                "Batchlane: Bedrock batch inference reads "
                        + IN
                        + " and writes "
                        + OUT
                        + " of the lane's bucket",
                List.of(
                        Grant.of(List.of("s3:GetObject"), r -> List.of(r.objects(IN + "*"))),
                        Grant.of(List.of("s3:PutObject"), r -> List.of(r.objects(OUT + "*"))),
                        listUnder(IN, OUT),
                        viaS3("kms:Decrypt"),
                        viaS3("kms:Encrypt", "kms:GenerateDataKey"),
                        // A cross-Region inference profile is invoked by the service role on the
                        // profile and its models.
                        Grant.of(List.of("bedrock:InvokeModel"), BedrockDeployment::modelArns)),
                "role-arn");
    }

    /** Ingest and poll both submit shards (poll those held back) and cancel jobs. */
    private static List<Grant> submitting(boolean poll) {
        List<Grant> grants = new ArrayList<>();
        grants.add(
                new Grant(
                        List.of("iam:PassRole"),
                        r -> List.of(r.serviceRoleArn()),
                        r -> Map.of("StringEquals", Map.of("iam:PassedToService", SERVICE))));
        grants.add(
                Grant.of(
                        List.of("bedrock:CreateModelInvocationJob"),
                        r -> {
                            List<String> on = new ArrayList<>(modelArns(r));
                            on.add(jobArns(r));
                            return on;
                        }));
        // The tags name the job the create makes; a model is never tagged.
        grants.add(Grant.of(List.of("bedrock:TagResource"), r -> List.of(jobArns(r))));
        // Poll follows jobs; both stop them (a cancel, or one found cancelled right after its
        // create).
        grants.add(
                Grant.of(
                        poll
                                ? List.of(
                                        "bedrock:GetModelInvocationJob",
                                        "bedrock:StopModelInvocationJob")
                                : List.of("bedrock:StopModelInvocationJob"),
                        r -> List.of(jobArns(r))));
        // ListModelInvocationJobs (pacing against the concurrent-jobs quota) has no resource type:
        // IAM authorizes it only on "*".
        grants.add(Grant.of(List.of("bedrock:ListModelInvocationJobs"), r -> List.of("*")));
        if (poll) {
            // Poll alone runs the shards below a job's minimum through bedrock-runtime, and writes
            // (and reads back) their output lines itself.
            grants.add(Grant.of(List.of("bedrock:InvokeModel"), BedrockDeployment::modelArns));
        }
        // The staged shard is copied server-side to the input prefix and its first records read
        // back (is it below the minimum?).
        grants.add(
                Grant.of(
                        List.of("s3:GetObject", "s3:PutObject"),
                        r ->
                                poll
                                        ? List.of(r.objects(IN + "*"), r.objects(OUT + "*"))
                                        : List.of(r.objects(IN + "*"))));
        grants.add(listUnder(OUT));
        grants.add(viaS3("kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"));
        return grants;
    }

    /**
     * Complete reads the output lines and the manifest, then deletes input copy and output once
     * results are written.
     */
    private static List<Grant> completing() {
        return List.of(
                Grant.of(List.of("s3:GetObject"), r -> List.of(r.objects(OUT + "*"))),
                Grant.of(
                        List.of("s3:DeleteObject"),
                        r -> List.of(r.objects(IN + "*"), r.objects(OUT + "*"))),
                listUnder(OUT),
                viaS3("kms:Decrypt"));
    }

    /** This account's model invocation jobs in this Region. */
    private static String jobArns(DeploymentRefs r) {
        return "arn:aws:bedrock:" + r.region() + ":" + r.account() + ":model-invocation-job/*";
    }

    /**
     * The configured models: a foundation model by id, or a cross-Region inference profile together
     * with the foundation model it routes to in any Region.
     */
    static List<String> modelArns(DeploymentRefs r) {
        List<String> arns = new ArrayList<>();
        for (String model : r.values(MODELS)) {
            if (model.matches("(us|eu|apac|us-gov|ca|jp|au|global)\\..+")) {
                arns.add(
                        "arn:aws:bedrock:"
                                + r.region()
                                + ":"
                                + r.account()
                                + ":inference-profile/"
                                + model);
                String base = model.substring(model.indexOf('.') + 1);
                arns.add("arn:aws:bedrock:*::foundation-model/" + base);
            } else {
                arns.add("arn:aws:bedrock:" + r.region() + "::foundation-model/" + model);
            }
        }
        return arns;
    }

    private static Grant listUnder(String... prefixes) {
        List<String> keys = new ArrayList<>();
        for (String p : prefixes) {
            keys.add(p + "*");
        }
        return new Grant(
                List.of("s3:ListBucket"),
                r -> List.of(r.bucketArn()),
                r -> Map.of("StringLike", Map.of("s3:prefix", keys)));
    }

    private static Grant viaS3(String... actions) {
        return new Grant(
                List.of(actions),
                r -> List.of(r.dataKeyArn()),
                r ->
                        Map.of(
                                "StringEquals",
                                Map.of("kms:ViaService", "s3." + r.region() + ".amazonaws.com")));
    }
}
