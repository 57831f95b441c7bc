package dev.batchlane.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchlane.local.LaneTemplate.FunctionSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The functions' limits come from the template infra/cdk's build synthesized from the construct.
 */
class LaneTemplateTest {
    static final Path TEMPLATE = Path.of("../cdk/target/batchlane-template.json");

    @Test
    void theSynthesizedTemplate_givesEachFunctionTheConstructsLimits() throws Exception {
        Map<String, FunctionSettings> s = LaneTemplate.read(TEMPLATE);
        assertThat(s.get("ingest").memoryMb()).isEqualTo(3538);
        assertThat(s.get("ingest").timeout()).isEqualTo(Duration.ofMinutes(15));
        assertThat(s.get("ingest").ephemeralStorageMb()).isEqualTo(512);
        assertThat(s.get("ingest").javaToolOptions()).contains("-XX:TieredStopAtLevel=4");
        assertThat(s.get("poll").timeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.get("poll").memoryMb()).isEqualTo(1024);
        assertThat(s.get("complete").timeout()).isEqualTo(Duration.ofMinutes(15));
    }

    @Test
    void missingTemplate_failsSayingHowToBuildIt(@TempDir Path dir) {
        assertThatThrownBy(() -> LaneTemplate.read(dir.resolve("none.json")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("none.json")
                .hasMessageContaining("-pl infra/cdk")
                .hasMessageContaining("BATCHLANE_TEMPLATE");
    }

    @Test
    void jvmOptions_areLambdasRuntimeDefaultsThenTheFunctionsOwn_soTheFunctionsWin() {
        String options =
                FunctionProcess.javaToolOptions(
                        new FunctionSettings(
                                "ingest",
                                3538,
                                Duration.ofSeconds(900),
                                512,
                                "-XX:+TieredCompilation -XX:TieredStopAtLevel=4"));
        // 85% of 3538 MB, in KiB, as Lambda's Java runtime sizes the heap
        assertThat(options).startsWith("-XX:MaxHeapSize=3079475k -XX:+UseSerialGC");
        assertThat(options.lastIndexOf("TieredStopAtLevel=4"))
                .isGreaterThan(options.lastIndexOf("TieredStopAtLevel=1"));
        assertThat(FunctionProcess.vcpus(3538, 8)).isEqualTo(2);
        assertThat(FunctionProcess.vcpus(1024, 8)).isEqualTo(1);
        assertThat(FunctionProcess.vcpus(10240, 2)).isEqualTo(2);
    }

    @Test
    void
            intakeQueue_isTheQueueAMappingFeedsToEnqueuesAlias_withItsVisibilityBatchAndPartialResponses(
                    @TempDir Path dir) throws Exception {
        Path template = dir.resolve("t.json");
        java.nio.file.Files.writeString(
                template,
                """
                {"Resources": {
                  "Enq": {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables":
                      {"QUARKUS_LAMBDA_HANDLER": "enqueue"}}}},
                  "EnqLive": {"Type": "AWS::Lambda::Alias", "Properties": {"Name": "live",
                      "FunctionName": {"Ref": "Enq"}}},
                  "Dlq": {"Type": "AWS::SQS::Queue", "Properties": {}},
                  "Intake": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 180,
                      "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]},
                                        "maxReceiveCount": 5}}},
                  "Map": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
                      "BatchSize": 10, "FunctionName": {"Fn::Join": ["", [{"Fn::Select": [6,
                          {"Fn::Split": [":", {"Ref": "EnqLive"}]}]}, ":live"]]},
                      "EventSourceArn": {"Fn::GetAtt": ["Intake", "Arn"]},
                      "FunctionResponseTypes": ["ReportBatchItemFailures"]}}
                }}
                """);

        LaneTemplate.IntakeQueue q = LaneTemplate.intakeQueue(template);

        assertThat(q.logicalId()).isEqualTo("Intake");
        assertThat(q.name()).isEqualTo("Intake");
        assertThat(q.visibilityTimeout()).isEqualTo(Duration.ofMinutes(3));
        assertThat(q.batchSize()).isEqualTo(10);
        assertThat(q.reportBatchItemFailures()).isTrue();
        assertThat(q.deadLetterQueue()).isEqualTo("Dlq");
        assertThat(q.maxReceiveCount()).isEqualTo(5);
    }

    @Test
    void theSynthesizedTemplate_whenItHasTheQueueLane_feedsItsIntakeQueueToEnqueue()
            throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                LaneTemplate.read(TEMPLATE).containsKey(LaneTemplate.ENQUEUE),
                "the synthesized template has no enqueue function yet");
        LaneTemplate.IntakeQueue q = LaneTemplate.intakeQueue(TEMPLATE);
        assertThat(q.logicalId()).contains("IntakeQueue");
        assertThat(q.reportBatchItemFailures()).isTrue();
        assertThat(q.deadLetterQueue()).contains("IntakeDeadLetterQueue");
    }

    @Test
    void intakeQueue_withoutTheQueueLane_isTheDocumentedFixedName(@TempDir Path dir)
            throws Exception {
        Path template = dir.resolve("t.json");
        java.nio.file.Files.writeString(template, "{\"Resources\": {}}");

        assertThat(LaneTemplate.intakeQueue(template).name())
                .isEqualTo(LaneTemplate.DEFAULT_INTAKE_QUEUE)
                .isEqualTo("batchlane-intake");
    }
}
