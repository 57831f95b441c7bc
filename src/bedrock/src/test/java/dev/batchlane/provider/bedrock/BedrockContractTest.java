package dev.batchlane.provider.bedrock;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.ingest.IngestLimits;
import dev.batchlane.core.ingest.IngestPass;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.ingest.Violation;
import dev.batchlane.core.storage.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The record rules through the core's own ingest pass, as ingest runs them. */
class BedrockContractTest {
    /** Roomy limits of the pass itself; the Bedrock contract under test sets its own per line. */
    private static final IngestLimits LIMITS =
            new IngestLimits(50_000, 200 * IngestLimits.MB, 10 * 1024 * 1024, 20);

    private static final String CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0";
    private static final BedrockQuotas QUOTAS =
            new BedrockQuotas(3, 50_000, 50_000, 1L << 30, 5L << 30, 10);
    private static final String OK_NATIVE =
            "\"modelInput\":{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":200,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final String OK_CONVERSE =
            "\"modelInput\":{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}],"
                    + "\"inferenceConfig\":{\"maxTokens\":300}}";

    record Run(List<Violation> violations, IngestPass.PassSummary result) {
        List<String> codes() {
            return violations.stream().map(Violation::code).toList();
        }
    }

    private static Run run(Map<String, String> metadata, String... lines) throws IOException {
        RequestContract contract = new BedrockContract(QUOTAS, null).forFile(metadata);
        List<Violation> violations = new ArrayList<>();
        byte[] bytes = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        IngestPass.PassSummary r =
                new IngestPass(contract, LIMITS, 4096, IngestPass.Options.defaults())
                        .run(
                                new ByteArrayInputStream(bytes),
                                violations::add,
                                new IngestPass.Stager() {
                                    @Override
                                    public ObjectStore.Upload open(int index) {
                                        return ObjectStore.Upload.inMemory(b -> {});
                                    }

                                    @Override
                                    public void staged(IngestPass.StagedShard shard) {}
                                },
                                (b, s) -> {});
        return new Run(violations, r);
    }

    private static String rec(String id, String body) {
        return "{\"recordId\":\"" + id + "\"," + body + "}";
    }

    @Test
    void aShardUnderTheMinimumRecords_runsOnDemand_unlessTheFileSaysNever() {
        // The budget prices such shards at the synchronous price, so the contract says where the
        // line between a batch and on-demand runs lies for this file.
        assertThat(
                        new BedrockContract(QUOTAS, null)
                                .forFile(Map.of("model-id", CLAUDE))
                                .onDemandBelow())
                .isEqualTo(QUOTAS.minRecordsPerJob());
        assertThat(
                        new BedrockContract(QUOTAS, null)
                                .forFile(Map.of("model-id", CLAUDE, "on-demand", "never"))
                                .onDemandBelow())
                .isZero();
    }

    @Test
    void aValidNativeFile_targetsInvokeOnTheModelFromMetadata_andReadsOutputCaps()
            throws IOException {
        Run r =
                run(
                        Map.of("model-id", CLAUDE),
                        rec("a", OK_NATIVE),
                        rec("b", OK_NATIVE),
                        rec("c", OK_NATIVE));
        assertThat(r.violations()).isEmpty();
        assertThat(r.result().checked().endpoint()).isEqualTo("/model/" + CLAUDE + "/invoke");
        assertThat(r.result().checked().model()).isEqualTo(CLAUDE);
        assertThat(r.result().checked().estimates().get(CLAUDE).maxOutputTokens()).isEqualTo(600);
    }

    @Test
    void converseFromMetadata_readsInferenceConfigMaxTokens() throws IOException {
        Run r =
                run(
                        Map.of("model-id", CLAUDE, "model-invocation-type", "Converse"),
                        rec("a", OK_CONVERSE),
                        rec("b", OK_CONVERSE),
                        rec("c", OK_CONVERSE));
        assertThat(r.violations()).isEmpty();
        assertThat(r.result().checked().endpoint()).isEqualTo("/model/" + CLAUDE + "/converse");
        assertThat(r.result().checked().estimates().get(CLAUDE).maxOutputTokens()).isEqualTo(900);
    }

    @Test
    void eachBrokenRule_isNamedWithItsLine() throws IOException {
        Run r =
                run(
                        Map.of("model-id", CLAUDE),
                        rec("ok", OK_NATIVE),
                        "{\"modelInput\":{}}",
                        rec("ok", OK_NATIVE),
                        rec("has space", OK_NATIVE),
                        rec(
                                "n5",
                                "\"modelInput\":{\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"),
                        rec(
                                "n6",
                                "\"modelInput\":{\"anthropic_version\":\"bedrock-2023-05-31\",\"messages\":[]}"),
                        rec("n7", "\"modelInput\":\"text\""),
                        rec("n8", OK_NATIVE + ",\"custom_id\":\"x\""));
        assertThat(r.codes())
                .contains(
                        "duplicate_custom_id",
                        "record_id_invalid",
                        "anthropic_version_missing",
                        "max_tokens_invalid",
                        "messages_invalid",
                        "model_input_invalid",
                        "unknown_field");
        assertThat(r.violations())
                .filteredOn(v -> v.code().equals("anthropic_version_missing") && v.line() == 5)
                .singleElement()
                .satisfies(
                        v -> {
                            assertThat(v.line()).isEqualTo(5);
                            assertThat(v.message()).startsWith("line 5:");
                        });
        assertThat(r.violations())
                .filteredOn(v -> v.code().equals("record_id_invalid"))
                .extracting(Violation::line)
                .containsExactly(4L);
        assertThat(r.violations()).filteredOn(v -> v.line() == 2).isNotEmpty();
    }

    @Test
    void converseRecords_needMessages_andCannotUseTools() throws IOException {
        Run r =
                run(
                        Map.of("model-id", CLAUDE, "model-invocation-type", "converse"),
                        rec(
                                "a",
                                "\"modelInput\":{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}],\"toolConfig\":{}}"),
                        rec(
                                "b",
                                "\"modelInput\":{\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}"),
                        rec("c", OK_CONVERSE));
        assertThat(r.violations())
                .extracting(Violation::code, Violation::line)
                .contains(
                        org.assertj.core.groups.Tuple.tuple("tools_not_supported", 1L),
                        org.assertj.core.groups.Tuple.tuple("messages_invalid", 2L));
    }

    @Test
    void aFileWithoutAModel_isRejectedSayingWhereTheModelGoes() throws IOException {
        Run r = run(Map.of(), rec("a", OK_NATIVE), rec("b", OK_NATIVE), rec("c", OK_NATIVE));
        assertThat(r.violations())
                .singleElement()
                .satisfies(
                        v -> {
                            assertThat(v.code()).isEqualTo("model_missing");
                            assertThat(v.line()).isZero();
                            assertThat(v.message()).contains("model-id");
                        });
    }

    @Test
    void anUnknownInvocationType_isRejected() throws IOException {
        Run r =
                run(
                        Map.of("model-id", CLAUDE, "model-invocation-type", "Streaming"),
                        rec("a", OK_NATIVE),
                        rec("b", OK_NATIVE),
                        rec("c", OK_NATIVE));
        assertThat(r.codes()).containsExactly("invocation_type_invalid");
    }

    @Test
    void belowTheMinimum_isFineByDefault_andRejectedNamingTheQuotaWhenOnDemandIsForbidden()
            throws IOException {
        assertThat(run(Map.of("model-id", CLAUDE), rec("a", OK_NATIVE)).violations()).isEmpty();
        Run never =
                run(
                        Map.of("model-id", CLAUDE, "on-demand", "never"),
                        rec("a", OK_NATIVE),
                        rec("b", OK_NATIVE));
        assertThat(never.violations())
                .singleElement()
                .satisfies(
                        v -> {
                            assertThat(v.code()).isEqualTo("below_minimum_records");
                            assertThat(v.message())
                                    .contains("2 record(s)")
                                    .contains("Minimum number of records per batch inference job")
                                    .contains("(3)");
                        });
        assertThat(
                        run(
                                        Map.of("model-id", CLAUDE, "on-demand", "never"),
                                        rec("a", OK_NATIVE),
                                        rec("b", OK_NATIVE),
                                        rec("c", OK_NATIVE))
                                .violations())
                .isEmpty();
    }
}
