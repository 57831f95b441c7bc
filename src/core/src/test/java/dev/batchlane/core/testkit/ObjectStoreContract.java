package dev.batchlane.core.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchlane.core.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the lane relies on from its bucket, one case each: run against the in-memory store (core)
 * and the S3 store on S3Mock with versioning on (src/aws). Keys are fresh per case.
 */
public abstract class ObjectStoreContract {

    @TempDir protected Path tmp;

    protected abstract ObjectStore store();

    /**
     * Puts {@code content} with user metadata as a user's upload would (the lane itself never
     * writes metadata) and returns the version id the bucket gave it.
     */
    protected abstract String putWithMetadata(
            String key, byte[] content, Map<String, String> metadata);

    private static String fresh(String prefix) {
        return prefix + UUID.randomUUID() + ".jsonl";
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private String read(String key, String pin) throws IOException {
        try (InputStream in = store().open(key, pin)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void putBytes_thenHeadAndOpen_seeThoseBytes() throws IOException {
        String key = fresh("staging/j/");
        store().putBytes(key, utf8("{\"custom_id\":\"a\"}\n"), "application/jsonl");
        ObjectStore.ObjectInfo info = store().head(key).orElseThrow();
        assertThat(info.size()).isEqualTo(18);
        assertThat(info.etag()).isNotBlank();
        assertThat(read(key, null)).isEqualTo("{\"custom_id\":\"a\"}\n");
        assertThat(read(key, info.etag()))
                .as("pinned to its own ETag")
                .isEqualTo("{\"custom_id\":\"a\"}\n");
    }

    @Test
    void refresh_writesTheObjectAnew_withItsBytesAndMetadata() throws IOException {
        String key = fresh("staging/j/");
        putWithMetadata(key, utf8("{\"custom_id\":\"a\"}\n"), Map.of("tag", "x"));
        ObjectStore.ObjectInfo before = store().head(key).orElseThrow();
        assertThat(before.lastModified()).as("a head says when the object was written").isNotNull();

        store().refresh(key);

        ObjectStore.ObjectInfo after = store().head(key).orElseThrow();
        assertThat(read(key, null)).isEqualTo("{\"custom_id\":\"a\"}\n");
        assertThat(after.metadata()).containsEntry("tag", "x");
        assertThat(after.size()).isEqualTo(before.size());
        // Written anew: never older than before (S3 stamps whole seconds, so a refresh within the
        // same second as the put keeps the stamp; StagingLifetimeSpecTest moves a clock instead).
        assertThat(after.lastModified()).isAfterOrEqualTo(before.lastModified());
    }

    @Test
    void refresh_ofAKeyThatIsGone_fails() {
        String key = fresh("staging/j/");
        assertThatThrownBy(() -> store().refresh(key)).isInstanceOf(RuntimeException.class);
    }

    @Test
    void put_fromAFile_storesItsBytes() throws IOException {
        Path f = tmp.resolve("part.jsonl");
        Files.writeString(f, "one\ntwo\n");
        String key = fresh("results/j/");
        store().put(key, f, "application/jsonl");
        assertThat(read(key, null)).isEqualTo("one\ntwo\n");
    }

    @Test
    void open_pinnedToAnETagTheObjectNoLongerHas_failsRatherThanReadNewBytes() {
        String key = fresh("inbox/openai/");
        store().putBytes(key, utf8("one"), "application/jsonl");
        String old = store().head(key).orElseThrow().etag();
        store().putBytes(key, utf8("two"), "application/jsonl");
        assertThatThrownBy(() -> read(key, old)).isInstanceOf(RuntimeException.class);
    }

    @Test
    void aVersionStaysReadable_withItsOwnMetadata_afterTheKeyIsOverwritten() throws IOException {
        String key = fresh("inbox/openai/");
        String first = putWithMetadata(key, utf8("stingy"), Map.of("budget-usd", "1"));
        String second = putWithMetadata(key, utf8("generous!"), Map.of("budget-usd", "100"));
        assertThat(first).isNotNull().isNotEqualTo(second);
        assertThat(store().head(key, first).orElseThrow().metadata())
                .containsEntry("budget-usd", "1");
        assertThat(store().head(key, first).orElseThrow().size()).isEqualTo(6);
        assertThat(store().head(key, second).orElseThrow().metadata())
                .containsEntry("budget-usd", "100");
        assertThat(store().head(key).orElseThrow().versionId()).isEqualTo(second);
        assertThat(read(key, first)).isEqualTo("stingy");
        assertThat(read(key, null)).isEqualTo("generous!");
    }

    @Test
    void aMissingObject_hasNoHead_andCannotBeOpened() {
        String key = fresh("nothing/");
        assertThat(store().head(key)).isEmpty();
        assertThatThrownBy(() -> read(key, null)).isInstanceOf(RuntimeException.class);
    }

    @Test
    void anUpload_appearsOnlyWhenCompleted() throws IOException {
        String key = fresh("results/j/");
        try (ObjectStore.Upload up = store().upload(key, "application/jsonl")) {
            up.write(utf8("joined\n"));
            assertThat(store().head(key)).as("not before complete()").isEmpty();
            up.complete();
            assertThat(up.completed()).isTrue();
            assertThat(up.bytes()).isEqualTo(7);
        }
        assertThat(read(key, null)).isEqualTo("joined\n");
    }

    /**
     * A queue's flush writes its inbox file with the settings a dropped file carries (a Bedrock
     * model id, a budget); ingest reads them back with head, as from a user's upload.
     */
    @Test
    void anUploadWithMetadata_isReadBackByHeadWithThatMetadata() throws IOException {
        String key = fresh("inbox/openai/queued-");
        Map<String, String> metadata = Map.of("budget-usd", "2.50", "model-id", "m-1");
        try (ObjectStore.Upload up = store().upload(key, "application/jsonl", metadata)) {
            up.write(utf8("{\"custom_id\":\"a\"}\n"));
            assertThat(store().head(key)).as("not before complete()").isEmpty();
            up.complete();
        }
        ObjectStore.ObjectInfo info = store().head(key).orElseThrow();
        assertThat(info.metadata()).containsAllEntriesOf(metadata);
        assertThat(store().head(key, info.versionId()).orElseThrow().metadata())
                .as("the version a drop's event names carries it too")
                .containsAllEntriesOf(metadata);
        assertThat(read(key, null)).isEqualTo("{\"custom_id\":\"a\"}\n");
    }

    @Test
    void anUploadClosedWithoutCompleting_leavesNoObject() throws IOException {
        String key = fresh("results/j/");
        try (ObjectStore.Upload up = store().upload(key, "application/jsonl")) {
            up.write(utf8("half a part"));
        }
        assertThat(store().head(key)).isEmpty();
        assertThat(store().list(key)).isEmpty();
    }

    @Test
    void list_returnsTheKeysUnderAPrefix_only() {
        String prefix = "staging/" + UUID.randomUUID() + "/";
        store().putBytes(prefix + "00000.jsonl", utf8("a"), "application/jsonl");
        store().putBytes(prefix + "00001.jsonl", utf8("b"), "application/jsonl");
        store().putBytes(
                        prefix.substring(0, prefix.length() - 1) + "x/other.jsonl",
                        utf8("c"),
                        "application/jsonl");
        assertThat(store().list(prefix))
                .containsExactlyInAnyOrder(prefix + "00000.jsonl", prefix + "00001.jsonl");
    }

    /**
     * What cleanup relies on: a deleted key is gone for head and open, and deleting a key that is
     * not there (a cleanup run twice) is no error. Listing after a delete is not part of the
     * contract: nothing in the lane lists what it deleted, and S3Mock (5.2.0) still lists a key
     * whose current version is a delete marker, which S3 does not.
     */
    @Test
    void delete_makesTheKeyGoneForHeadAndOpen_andDeletingAMissingKeyIsNoError() {
        String key = fresh("staging/j/");
        store().putBytes(key, utf8("a"), "application/jsonl");
        store().delete(key);
        assertThat(store().head(key)).isEmpty();
        assertThatThrownBy(() -> read(key, null)).isInstanceOf(RuntimeException.class);
        store().delete(key);
        store().delete(fresh("never-there/"));
        assertThat(store().head(key)).isEmpty();
    }
}
