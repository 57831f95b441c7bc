package dev.batchlane.simulator.bedrock;

import com.sun.net.httpserver.HttpServer;
import dev.batchlane.simulator.SimHttp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Amazon Bedrock's batch inference control plane ({@code *ModelInvocationJob*}, REST-JSON) and the
 * bedrock-runtime InvokeModel and Converse calls, on loopback, over an S3 emulator. The AWS SDK
 * clients talk to it unchanged through {@code endpointOverride}. It is as strict as the service:
 * every request must be SigV4-signed for the {@code bedrock} signing name, and Create is checked
 * member by member against the service model's patterns and ranges (unknown members, bad names,
 * ARNs, S3 URIs, tags, timeouts are a ValidationException). A job moves one status per {@code
 * stepDuration} when read: Submitted, Validating (input read from S3: JSONL objects of the record
 * form, the record-count quotas; a job below the minimum fails here, as Bedrock's validation does),
 * Scheduled, InProgress, then Completed — or PartiallyCompleted, Expired or Stopped when told to.
 * Output is written as Bedrock writes it: {@code <output s3Uri><job id>/<input file>.out} in
 * shuffled order and {@code manifest.json.out}.
 */
public final class BedrockSimulator implements AutoCloseable {
    /**
     * The account of the job ARNs it makes, unless the builder names another (the local stack's).
     */
    public static final String ACCOUNT = "123456789012";

    /**
     * One exchange as it crossed the wire, for tests that check both sides against the service
     * model.
     */
    public record Recorded(
            String operation,
            String method,
            String path,
            String query,
            String requestBody,
            int status,
            String responseBody) {}

    private final HttpServer server;
    private final FaultPlan faults = new FaultPlan();
    private final JobEngine jobs;
    private final RuntimeApi runtime = new RuntimeApi();
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();

    private BedrockSimulator(Builder b) throws IOException {
        this.jobs =
                new JobEngine(
                        b.s3,
                        b.clock,
                        b.region,
                        b.account,
                        new Random(b.seed),
                        b.minRecords,
                        b.maxRecords,
                        b.stepDuration,
                        faults);
        ApiHandler api = new ApiHandler(b.region, jobs, runtime, faults, requests);
        this.server = SimHttp.startLoopback(b.port, "/", "bedrock-sim", api::handle);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private int port;
        private S3Client s3;
        private Clock clock = Clock.systemUTC();
        private String region = "us-east-1";
        private String account = ACCOUNT;
        private Duration stepDuration = Duration.ofSeconds(1);
        private long seed = 42;
        private int minRecords = 100;
        private int maxRecords = 50_000;

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** The S3 client the simulated service role reads input and writes output with. */
        public Builder s3(S3Client s3) {
            this.s3 = s3;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public Builder region(String region) {
            this.region = region;
            return this;
        }

        /** The account in the job ARNs: the caller's, so IAM grants on its jobs match them. */
        public Builder account(String account) {
            this.account = account;
            return this;
        }

        public Builder stepDuration(Duration stepDuration) {
            this.stepDuration = stepDuration;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** The quota "Minimum number of records per batch inference job". */
        public Builder minRecords(int minRecords) {
            this.minRecords = minRecords;
            return this;
        }

        /** The quota "Records per batch inference job". */
        public Builder maxRecords(int maxRecords) {
            this.maxRecords = maxRecords;
            return this;
        }

        public BedrockSimulator start() {
            if (s3 == null) {
                throw new IllegalStateException(
                        "the Bedrock simulator needs an S3 client (builder.s3)");
            }
            try {
                return new BedrockSimulator(this);
            } catch (IOException e) {
                throw new UncheckedIOException("the Bedrock simulator did not start", e);
            }
        }
    }

    /** The endpoint both SDK clients (bedrock and bedrockruntime) take as endpointOverride. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    // ---- controls ----

    /** Records whose recordId matches end with {@code error {errorCode, errorMessage}}. */
    public void failRecords(Predicate<String> recordIds, int errorCode, String message) {
        faults.recordFaults.add(new FaultPlan.RecordFault(recordIds, errorCode, message));
    }

    /**
     * The next {@code count} creates take effect, and their answer is lost: status 0 closes the
     * connection without an answer, 200 sends the answer cut short, any other status replaces it
     * with that error. The SDK's own retries then meet the job made by the first call.
     */
    public void loseNextCreateAnswers(int count, int status) {
        faults.loseNextCreateAnswers(count, status);
    }

    /**
     * The next job created leaves the output lines of {@code missing} out (still counted as
     * processed) and writes those of {@code unreadable} cut short.
     */
    public void damageNextResults(Set<String> missing, Set<String> unreadable) {
        faults.damageNext(new FaultPlan.Damage(Set.copyOf(missing), Set.copyOf(unreadable)));
    }

    /** The next {@code count} jobs expire while Scheduled, without output. */
    public void expireNextJobs(int count) {
        faults.expireNext(count);
    }

    /**
     * The next {@code count} jobs process only this fraction of records and end PartiallyCompleted.
     */
    public void partiallyCompleteNextJobs(int count, double fraction) {
        faults.partiallyCompleteNext(count, fraction);
    }

    /**
     * The next {@code count} calls of an operation answer {@code status} with the error Bedrock
     * sends for it (429 ThrottlingException, 500 InternalServerException, 400
     * ServiceQuotaExceededException, 403 AccessDeniedException). Operations: create, get, list,
     * stop, invoke, converse.
     */
    public void failNextCalls(String operation, int status, int count) {
        faults.failNextCalls(operation, status, count, null);
    }

    /**
     * As {@link #failNextCalls(String, int, int)}, with {@code message} as the error's text (403 is
     * AccessDeniedException): what a service quotes back, a credential in a signing error say.
     */
    public void failNextCalls(String operation, int status, int count, String message) {
        faults.failNextCalls(operation, status, count, message);
    }

    /** The next {@code count} jobs fail at validation, with {@code message} as the job's reason. */
    public void failNextJobs(int count, String message) {
        faults.failNextJobs(count, message);
    }

    /**
     * The next {@code count} calls of an operation (invoke, converse, ...) are slow: each is run
     * and recorded at once, as the model runs (and bills) as soon as the call arrives, and its
     * answer is held back for {@code delay} of real time, so a client that gives up early has lost
     * an answer to a call that took effect. This knob sleeps because it stands for the wire; tests
     * use it with a client timeout well below {@code delay}, never to measure a duration.
     */
    public void slowNextCalls(String operation, Duration delay, int count) {
        faults.slowNextCalls(operation, delay, count);
    }

    /** Calls of an operation as they arrived, faulted and slow ones included. */
    public int calls(String operation) {
        return (int) requests.stream().filter(r -> operation.equals(r.operation())).count();
    }

    public void setStepDuration(Duration stepDuration) {
        jobs.stepDuration = stepDuration;
    }

    // ---- observability ----

    public int createCalls() {
        return jobs.createCalls();
    }

    public int runtimeCalls() {
        return runtime.runtimeCalls();
    }

    /** Distinct jobs the service holds. */
    public int jobCount() {
        return jobs.jobs.size();
    }

    public String status(String jobId) {
        synchronized (jobs.jobs) {
            Job j = jobs.jobs.get(jobId);
            return j == null ? null : j.status;
        }
    }

    public List<Recorded> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
