package dev.batchlane.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.lane.Keys;
import dev.batchlane.core.testkit.Lane;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rejection report and error list are what a user reads and what scripts parse: their bytes
 * (field order, indentation, the one-line error list) are pinned here, so moving the code that
 * writes them cannot change them unnoticed.
 */
class RejectionBytesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;

    @Test
    void badLines_reportAndErrorList_areWrittenByteForByte() {
        Lane lane = new Lane(tmp);
        String file =
                Lane.request("a")
                        + "{\"custom_id\":\"b\",\"method\":\"GET\",\"body\":{}}\n"
                        + Lane.request("a");
        IngestService.ObjectRef ref = lane.drop("bad.jsonl", file, Map.of());

        IngestService.Ingestion r = lane.ingest.ingest(ref);

        String jobId = r.jobId();
        assertThat(lane.text(Keys.rejectedErrors("openai", name(ref), jobId)))
                .isEqualTo(ERRORS_BAD);
        assertThat(lane.text(Keys.rejectedReport("openai", name(ref), jobId)))
                .isEqualTo(REPORT_BAD.replace("JOB", jobId));
        assertThat(lane.objects.list("staging/")).as("nothing staged is left").isEmpty();
    }

    @Test
    void unknownProvider_errorListHasOneLine_andTheReportSaysWhy() {
        Lane lane = new Lane(tmp);
        byte[] bytes = Lane.requests("r", 2).getBytes(StandardCharsets.UTF_8);
        String key = "inbox/nosuch/x.jsonl";
        String version = lane.objects.putBytes(key, bytes, Map.of());
        String etag = lane.objects.head(key).orElseThrow().etag();

        IngestService.Ingestion r =
                lane.ingest.ingest(
                        new IngestService.ObjectRef(Lane.BUCKET, key, version, etag, bytes.length));

        String jobId = r.jobId();
        assertThat(lane.text(Keys.rejectedErrors("nosuch", name(key), jobId)))
                .isEqualTo(ERRORS_UNKNOWN);
        assertThat(lane.text(Keys.rejectedReport("nosuch", name(key), jobId)))
                .isEqualTo(REPORT_UNKNOWN.replace("JOB", jobId));
    }

    @Test
    void overBudget_reportKeepsItsShape_andItsCostFields() throws Exception {
        Lane lane = new Lane(tmp);
        IngestService.ObjectRef ref =
                lane.drop("dear.jsonl", Lane.requests("r", 50), Map.of("budget-usd", "0.000001"));

        IngestService.Ingestion r = lane.ingest.ingest(ref);

        JsonNode report =
                JSON.readTree(lane.text(Keys.rejectedReport("openai", name(ref), r.jobId())));
        // The figures follow the price table, which changes on its own; the shape must not.
        assertThat(fieldNames(report))
                .containsExactly(
                        "status",
                        "jobId",
                        "input",
                        "provider",
                        "lines",
                        "bytes",
                        "violations",
                        "violationsByCode",
                        "errors",
                        "submitted",
                        "message",
                        "cost",
                        "firstViolations");
        assertThat(fieldNames(report.get("cost")))
                .containsExactly(
                        "inputTokens",
                        "maxOutputTokens",
                        "projectedBatchUsd",
                        "projectedSyncUsd",
                        "budgetUsd",
                        "priceTable");
        assertThat(report.get("cost").get("maxOutputTokens").asLong()).isEqualTo(50 * 16);
        assertThat(report.get("firstViolations").get(0).get("code").asText())
                .isEqualTo("over_budget");
        assertThat(lane.text(Keys.rejectedErrors("openai", name(ref), r.jobId())))
                .startsWith("{\"line\":0,\"custom_id\":null,\"code\":\"over_budget\",")
                .endsWith("}\n")
                .hasLineCount(1);
        assertThat(lane.objects.list("staging/")).as("nothing staged is left").isEmpty();
    }

    private static String name(IngestService.ObjectRef ref) {
        return name(ref.key());
    }

    private static String name(String key) {
        return Keys.parseInbox(key).orElseThrow().name();
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static final String ERRORS_BAD =
            """
            {"line":2,"custom_id":"b","code":"request_invalid","message":"line 2 (b) needs \\"method\\":\\"POST\\" and an object \\"body\\""}
            {"line":3,"custom_id":"a","code":"duplicate_custom_id","message":"line 3: custom_id 'a' is already used on line 1; ids must be unique in a file"}
            """;
    private static final String REPORT_BAD =
            """
            {
              "status" : "rejected",
              "jobId" : "JOB",
              "input" : "s3://lane/inbox/openai/bad.jsonl",
              "provider" : "openai",
              "lines" : 3,
              "bytes" : 355,
              "sha256" : "a985023709bed9a91ecb7a6c66b74f8a14f6a65651ae1558d75e0e73e4772da5",
              "violations" : 2,
              "violationsByCode" : {
                "duplicate_custom_id" : 1,
                "request_invalid" : 1
              },
              "errors" : "rejected/openai/bad/JOB/errors.jsonl",
              "submitted" : 0,
              "message" : "nothing was submitted: 2 line(s) broke the rules; fix them and drop the file again",
              "firstViolations" : [ {
                "line" : 2,
                "custom_id" : "b",
                "code" : "request_invalid",
                "message" : "line 2 (b) needs \\"method\\":\\"POST\\" and an object \\"body\\""
              }, {
                "line" : 3,
                "custom_id" : "a",
                "code" : "duplicate_custom_id",
                "message" : "line 3: custom_id 'a' is already used on line 1; ids must be unique in a file"
              } ]
            }""";
    private static final String ERRORS_UNKNOWN =
            """
            {"line":0,"custom_id":null,"code":"unknown_provider","message":"'nosuch' is not a configured provider; drop files under inbox/<provider>/ with one of [openai]"}
            """;
    private static final String REPORT_UNKNOWN =
            """
            {
              "status" : "rejected",
              "jobId" : "JOB",
              "input" : "s3://lane/inbox/nosuch/x.jsonl",
              "provider" : "nosuch",
              "lines" : 0,
              "bytes" : 316,
              "violations" : 1,
              "violationsByCode" : {
                "unknown_provider" : 1
              },
              "errors" : "rejected/nosuch/x/JOB/errors.jsonl",
              "submitted" : 0,
              "message" : "nothing was submitted: 'nosuch' is not a configured provider; drop files under inbox/<provider>/ with one of [openai]",
              "firstViolations" : [ {
                "line" : 0,
                "custom_id" : null,
                "code" : "unknown_provider",
                "message" : "'nosuch' is not a configured provider; drop files under inbox/<provider>/ with one of [openai]"
              } ]
            }""";
}
