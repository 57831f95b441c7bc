package dev.batchlane.functions.ingest;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.S3Event;
import dev.batchlane.core.cancel.CancelService;
import dev.batchlane.core.complete.Redrive;
import dev.batchlane.core.ingest.IngestService;
import dev.batchlane.core.lane.Deadline;
import dev.batchlane.core.lane.Keys;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * S3 ObjectCreated → one ingest per object under inbox/, one cancellation per object {@code
 * cancel/<jobId>}, one resumed ingest per {@code resume/<jobId>}, one re-drive of a job's
 * completion work per {@code redrive/<jobId>}.
 */
@Named(dev.batchlane.core.lane.LaneNames.HANDLER_INGEST)
public class IngestHandler implements RequestHandler<S3Event, List<Object>> {

    @Inject IngestService ingest;

    @Inject CancelService cancel;

    @Inject Redrive redrive;

    @Inject Clock clock;

    /** Lambda's cut-off for this invocation; none when the handler is called without a context. */
    private Deadline deadline(Context context) {
        if (context == null || context.getRemainingTimeInMillis() <= 0) {
            return Deadline.none();
        }
        return Deadline.in(clock, Duration.ofMillis(context.getRemainingTimeInMillis()));
    }

    @Override
    public List<Object> handleRequest(S3Event event, Context context) {
        List<Object> results = new ArrayList<>();
        for (var record : event.getRecords()) {
            var s3 = record.getS3();
            var object = s3.getObject();
            String key = object.getUrlDecodedKey();
            var cancelled = CancelService.jobIdOf(key);
            if (cancelled.isPresent()) {
                results.add(cancel.cancel(cancelled.get()));
                continue;
            }
            var resumed = Keys.jobIdUnder(Keys.RESUME, key);
            if (resumed.isPresent()) {
                results.add(ingest.resume(resumed.get(), deadline(context)));
                continue;
            }
            var redriven = Keys.jobIdUnder(Keys.REDRIVE, key);
            if (redriven.isPresent()) {
                results.add(redrive.redrive(redriven.get()));
                continue;
            }
            long size = object.getSizeAsLong() == null ? 0 : object.getSizeAsLong();
            results.add(
                    ingest.ingest(
                            new IngestService.ObjectRef(
                                    s3.getBucket().getName(),
                                    key,
                                    object.getVersionId(),
                                    object.geteTag(),
                                    size),
                            deadline(context)));
        }
        return results;
    }
}
