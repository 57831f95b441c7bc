package dev.batchlane.simulator.bedrock;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;

/** One model invocation job and how far it has run. */
final class Job {
    final String id;
    final String arn;
    final ObjectNode request;
    final Instant submitTime;
    String status = "Submitted";
    String message;
    Instant lastStep;
    Instant lastModified;
    Instant endTime;
    long total;
    long processed;
    long success;
    long errors;

    /** The reason the job fails at validation, when a test asked for one; else null. */
    String failure;

    boolean expire;
    double partial = 1.0;
    FaultPlan.Damage damage;
    boolean stopRequested;
    List<String> inputKeys = List.of();

    Job(String id, String arn, ObjectNode request, Instant now) {
        this.id = id;
        this.arn = arn;
        this.request = request;
        this.submitTime = now;
        this.lastStep = now;
        this.lastModified = now;
    }
}
