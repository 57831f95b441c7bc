package dev.batchlane.aws.dynamo;

import static dev.batchlane.aws.dynamo.Attrs.n;
import static dev.batchlane.aws.dynamo.Attrs.num;
import static dev.batchlane.aws.dynamo.Attrs.putS;
import static dev.batchlane.aws.dynamo.Attrs.putT;
import static dev.batchlane.aws.dynamo.Attrs.s;
import static dev.batchlane.aws.dynamo.Attrs.str;
import static dev.batchlane.aws.dynamo.Attrs.time;
import static dev.batchlane.aws.dynamo.ItemKeys.JOB_SK;
import static dev.batchlane.aws.dynamo.ItemKeys.jobPk;
import static dev.batchlane.aws.dynamo.TableSetup.PK;
import static dev.batchlane.aws.dynamo.TableSetup.SK;

import dev.batchlane.core.job.Job;
import dev.batchlane.core.job.JobStatus;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** A {@link Job} as its item's attributes, and back. */
final class JobItemCodec {
    private JobItemCodec() {}

    static Map<String, AttributeValue> jobItem(Job j) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put(PK, s(jobPk(j.jobId())));
        m.put(SK, s(JOB_SK));
        m.put("type", s("job"));
        m.put("jobId", s(j.jobId()));
        m.put("provider", s(j.provider()));
        m.put("status", s(j.status().name()));
        putS(m, "bucket", j.bucket());
        putS(m, "inputKey", j.inputKey());
        putS(m, "inputVersion", j.inputVersion());
        putS(m, "name", j.name());
        putS(m, "sha256", j.sha256());
        m.put("inputBytes", n(j.inputBytes()));
        m.put("requestCount", n(j.requestCount()));
        m.put("shardCount", n(j.shardCount()));
        m.put("shardsCompleted", n(j.shardsCompleted()));
        putS(m, "model", j.model());
        putS(m, "endpoint", j.endpoint());
        putT(m, "createdAt", j.createdAt());
        putT(m, "submittedAt", j.submittedAt());
        putT(m, "completedAt", j.completedAt());
        putS(m, "resultKey", j.resultKey());
        putS(m, "estimatedCostUsd", j.estimatedCostUsd());
        putS(m, "budgetUsd", j.budgetUsd());
        return m;
    }

    static Job job(Map<String, AttributeValue> m) {
        return Job.builder(str(m, "jobId"), str(m, "provider"))
                .status(JobStatus.valueOf(str(m, "status")))
                .input(str(m, "bucket"), str(m, "inputKey"), str(m, "inputVersion"))
                .name(str(m, "name"))
                .sha256(str(m, "sha256"))
                .inputBytes(num(m, "inputBytes"))
                .requestCount(num(m, "requestCount"))
                .shardCount((int) num(m, "shardCount"))
                .shardsCompleted((int) num(m, "shardsCompleted"))
                .model(str(m, "model"))
                .endpoint(str(m, "endpoint"))
                .createdAt(time(m, "createdAt"))
                .submittedAt(time(m, "submittedAt"))
                .completedAt(time(m, "completedAt"))
                .resultKey(str(m, "resultKey"))
                .estimatedCostUsd(str(m, "estimatedCostUsd"))
                .budgetUsd(str(m, "budgetUsd"))
                .cancelRequested(
                        m.containsKey("cancelRequested")
                                && Boolean.TRUE.equals(m.get("cancelRequested").bool()))
                .build();
    }
}
