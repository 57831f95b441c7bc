package dev.batchlane.core.storage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The bucket, seen by the core. Objects are streamed in and out; none is read whole into memory.
 */
public interface ObjectStore {

    /**
     * Opens an object, pinned to a version (or ETag) when one is given so a re-read sees the same
     * bytes. A store that can resume reads at the byte where a broken connection stopped does so.
     */
    InputStream open(String key, String versionOrEtag);

    default InputStream open(String key) {
        return open(key, null);
    }

    Optional<ObjectInfo> head(String key);

    /**
     * The metadata of one version of an object ({@code versionId} null: the current one). Ingest
     * reads a file's budget here, from the version its event named: the key may have been
     * overwritten since, with other bytes and another budget. A store without versions has only the
     * current one.
     */
    default Optional<ObjectInfo> head(String key, String versionId) {
        return head(key);
    }

    void put(String key, Path file, String contentType);

    void putBytes(String key, byte[] content, String contentType);

    /**
     * Starts a streaming write of {@code key}. Nothing whole is staged on disk or in memory by a
     * real store (S3 sends bounded parts as a multipart upload); the object appears only when
     * {@link Upload#complete()} returns, and {@link Upload#close()} without it discards what was
     * written, so a failed step never leaves half an object behind.
     *
     * <p>The default keeps the bytes in memory; it exists for small test stores only.
     */
    default Upload upload(String key, String contentType) {
        return Upload.inMemory(bytes -> putBytes(key, bytes, contentType));
    }

    /**
     * A streaming write, as {@link #upload(String, String)}, of an object that carries {@code
     * metadata} (S3's user metadata, read back by {@link #head}): a queue's flush writes a file
     * with the settings a dropped file would carry. The default keeps the bytes in memory and
     * refuses metadata it cannot keep; real stores keep both.
     */
    default Upload upload(String key, String contentType, java.util.Map<String, String> metadata) {
        if (metadata.isEmpty()) {
            return upload(key, contentType);
        }
        throw new UnsupportedOperationException(
                getClass().getSimpleName() + " cannot keep metadata on " + key);
    }

    List<String> list(String prefix);

    void delete(String key);

    /**
     * Rewrites the current version of {@code key} onto itself, bytes, metadata and content type
     * unchanged, so its age (what a bucket's lifecycle expiry counts from) starts again. The copy
     * is made by the store, never through this process. Fails when the key is gone.
     */
    default void refresh(String key) {
        throw new UnsupportedOperationException(
                getClass().getSimpleName() + " cannot refresh " + key + ": it has no refresh");
    }

    /**
     * What a head of one object says. {@code lastModified} is when the object (this version of it)
     * was written, null when the store does not know; a bucket's lifecycle expiry counts from it.
     */
    record ObjectInfo(
            String key,
            long size,
            String etag,
            String versionId,
            java.util.Map<String, String> metadata,
            java.time.Instant lastModified) {

        /** An object whose writing time the store does not know. */
        public ObjectInfo(
                String key,
                long size,
                String etag,
                String versionId,
                java.util.Map<String, String> metadata) {
            this(key, size, etag, versionId, metadata, null);
        }
    }

    /**
     * A streaming write of one object. Write, then {@link #complete()}; {@link #close()} releases
     * the upload and, unless it completed, aborts it.
     */
    abstract class Upload extends OutputStream {
        private long bytes;

        /** Makes the object visible with everything written so far. */
        public abstract void complete() throws IOException;

        public abstract boolean completed();

        /** Bytes written so far. */
        public final long bytes() {
            return bytes;
        }

        protected final void count(long n) {
            bytes += n;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public abstract void write(byte[] b, int off, int len) throws IOException;

        /** Releases the upload; aborts it when it was not completed. Safe to call twice. */
        @Override
        public abstract void close() throws IOException;

        /**
         * An upload held in memory and handed whole to {@code onComplete}; for small objects and
         * tests, never for a shard or a part of unbounded size.
         */
        public static Upload inMemory(Consumer<byte[]> onComplete) {
            return new Upload() {
                private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
                private boolean done;

                @Override
                public void write(byte[] b, int off, int len) {
                    buffer.write(b, off, len);
                    count(len);
                }

                @Override
                public void complete() {
                    onComplete.accept(buffer.toByteArray());
                    done = true;
                }

                @Override
                public boolean completed() {
                    return done;
                }

                @Override
                public void close() {
                    buffer.reset();
                }
            };
        }
    }

    static UncheckedIOException unchecked(String what, IOException e) {
        return new UncheckedIOException(what + ": " + e.getMessage(), e);
    }
}
