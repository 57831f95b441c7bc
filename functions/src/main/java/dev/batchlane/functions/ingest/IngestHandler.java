package dev.batchlane.functions.ingest;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.S3Event;
import dev.batchlane.core.ingest.IngestService;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import java.util.ArrayList;
import java.util.List;

/** S3 ObjectCreated under inbox/ → one ingest per object. */
@Named("ingest")
public class IngestHandler implements RequestHandler<S3Event, List<IngestService.Result>> {

    @Inject
    IngestService ingest;

    @Override
    public List<IngestService.Result> handleRequest(S3Event event, Context context) {
        List<IngestService.Result> results = new ArrayList<>();
        for (var record : event.getRecords()) {
            var s3 = record.getS3();
            var object = s3.getObject();
            long size = object.getSizeAsLong() == null ? 0 : object.getSizeAsLong();
            results.add(ingest.ingest(new IngestService.ObjectRef(s3.getBucket().getName(),
                    object.getUrlDecodedKey(), object.getVersionId(), object.geteTag(), size)));
        }
        return results;
    }
}
