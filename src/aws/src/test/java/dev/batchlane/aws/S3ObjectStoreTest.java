package dev.batchlane.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchlane.aws.s3.S3ObjectStore;
import dev.batchlane.emulators.S3MockServer;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

class S3ObjectStoreTest {
    private static S3MockServer server;
    private static S3Client s3;
    private static S3ObjectStore store;

    @TempDir Path tmp;

    @BeforeAll
    static void start() {
        server = S3MockServer.start("lane");
        s3 = LocalAws.s3(server.endpoint());
        store = new S3ObjectStore(s3, "lane");
    }

    @AfterAll
    static void stop() {
        s3.close();
        server.close();
    }

    @Test
    void putFromFile_thenOpenPinnedToItsEtag_readsTheSameBytes() throws Exception {
        Path f = tmp.resolve("a.jsonl");
        Files.writeString(f, "{\"custom_id\":\"a\"}\n");
        store.put("staging/j/a.jsonl", f, "application/jsonl");
        var info = store.head("staging/j/a.jsonl").orElseThrow();
        assertThat(info.size()).isEqualTo(Files.size(f));
        try (InputStream in = store.open("staging/j/a.jsonl", info.etag())) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo("{\"custom_id\":\"a\"}\n");
        }
    }

    /**
     * Past one part the object is a multipart upload, whose metadata is given when it starts, not
     * on completion: the metadata must survive that path too, not only the single PUT.
     */
    @Test
    void aMultipartUpload_carriesItsMetadata() throws Exception {
        int partSize = 5 * 1024 * 1024;
        S3ObjectStore small = new S3ObjectStore(s3, "lane", partSize, java.time.Duration.ZERO);
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) 'x');
        long written = 0;
        try (var up =
                small.upload(
                        "inbox/bedrock/queued-x/big.jsonl",
                        "application/jsonl",
                        java.util.Map.of("model-id", "anthropic.claude"))) {
            while (written <= partSize) {
                up.write(chunk);
                written += chunk.length;
            }
            up.complete();
        }
        var info = store.head("inbox/bedrock/queued-x/big.jsonl").orElseThrow();
        assertThat(info.size()).isEqualTo(written);
        assertThat(info.metadata()).containsEntry("model-id", "anthropic.claude");
    }

    @Test
    void openPinnedToAnOldEtag_failsInsteadOfReadingNewBytes() {
        store.putBytes(
                "inbox/openai/x.jsonl",
                "one".getBytes(StandardCharsets.UTF_8),
                "application/jsonl");
        String oldEtag = store.head("inbox/openai/x.jsonl").orElseThrow().etag();
        store.putBytes(
                "inbox/openai/x.jsonl",
                "two".getBytes(StandardCharsets.UTF_8),
                "application/jsonl");
        assertThatThrownBy(() -> store.open("inbox/openai/x.jsonl", oldEtag).close())
                .isInstanceOf(S3Exception.class);
    }

    @Test
    void refresh_copiesTheObjectOntoItself_keepingBytesMetadataAndContentType() throws Exception {
        String key = "staging/j/refresh.jsonl";
        s3.putObject(
                b ->
                        b.bucket("lane")
                                .key(key)
                                .contentType("application/jsonl")
                                .metadata(java.util.Map.of("shard", "00001")),
                software.amazon.awssdk.core.sync.RequestBody.fromString("{\"custom_id\":\"a\"}\n"));
        var before = s3.headObject(b -> b.bucket("lane").key(key));

        store.refresh(key);

        var after = s3.headObject(b -> b.bucket("lane").key(key));
        assertThat(after.contentType()).isEqualTo("application/jsonl");
        assertThat(after.metadata()).containsEntry("shard", "00001");
        assertThat(after.eTag()).as("the same bytes").isEqualTo(before.eTag());
        assertThat(after.lastModified()).isAfterOrEqualTo(before.lastModified());
        assertThat(store.head(key).orElseThrow().lastModified()).isEqualTo(after.lastModified());
        try (InputStream in = store.open(key)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo("{\"custom_id\":\"a\"}\n");
        }
    }

    @Test
    void listAndDelete_byPrefix() {
        store.putBytes("results/j1/part-00001.jsonl", new byte[] {1}, "application/jsonl");
        store.putBytes("results/j1/part-00002.jsonl", new byte[] {2}, "application/jsonl");
        store.putBytes("results/j2/part-00001.jsonl", new byte[] {3}, "application/jsonl");
        assertThat(store.list("results/j1/"))
                .containsExactly("results/j1/part-00001.jsonl", "results/j1/part-00002.jsonl");
        store.delete("results/j1/part-00001.jsonl");
        assertThat(store.list("results/j1/")).containsExactly("results/j1/part-00002.jsonl");
        assertThat(store.head("results/j1/part-00001.jsonl")).isEmpty();
    }
}
