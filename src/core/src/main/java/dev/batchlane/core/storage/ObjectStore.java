package dev.batchlane.core.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The bucket, seen by the core. Objects are streamed in and out; none is read whole into memory. */
public interface ObjectStore {

    /** Opens an object, pinned to a version (or ETag) when one is given so a re-read sees the same bytes. */
    InputStream open(String key, String versionOrEtag);

    default InputStream open(String key) {
        return open(key, null);
    }

    Optional<ObjectInfo> head(String key);

    void put(String key, Path file, String contentType);

    void putBytes(String key, byte[] content, String contentType);

    List<String> list(String prefix);

    void delete(String key);

    record ObjectInfo(String key, long size, String etag, String versionId, java.util.Map<String, String> metadata) {}

    static UncheckedIOException unchecked(String what, IOException e) {
        return new UncheckedIOException(what + ": " + e.getMessage(), e);
    }
}
