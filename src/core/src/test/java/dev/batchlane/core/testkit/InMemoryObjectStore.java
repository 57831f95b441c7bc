package dev.batchlane.core.testkit;

import dev.batchlane.core.storage.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A versioned bucket in memory, answering as S3 does where the lane looks: every put is a new
 * version with its own id, the ETag is the quoted MD5 of the bytes, a read pinned to a version
 * reads that version, a read pinned to an ETag the object no longer has fails (S3's If-Match
 * answers 412), and an upload appears only when completed. {@code ObjectStoreContract} holds it to
 * the same cases as the S3 store on S3Mock.
 *
 * <p>For small test objects only: everything is held in memory.
 */
public class InMemoryObjectStore implements ObjectStore {

    /** What S3 answers 404 or 412 with, as the store's callers see it: the read failed. */
    public static final class NoSuchObject extends RuntimeException {
        NoSuchObject(String message) {
            super(message);
        }
    }

    private record Version(
            String id,
            byte[] bytes,
            String etag,
            Map<String, String> metadata,
            String contentType,
            Instant lastModified) {}

    /**
     * Key → its versions, oldest first; a delete removes the key (the lane never reads deleted
     * versions).
     */
    private final TreeMap<String, List<Version>> objects = new TreeMap<>();

    private long nextVersion = 1;

    /** Stamps each version's last-modified instant, as S3 does when it stores one. */
    private final Clock clock;

    public InMemoryObjectStore() {
        this(Clock.systemUTC());
    }

    /** A store whose versions are stamped by {@code clock}: a test moves it to age objects. */
    public InMemoryObjectStore(Clock clock) {
        this.clock = clock;
    }

    @Override
    public synchronized InputStream open(String key, String versionOrEtag) {
        Version v =
                find(key, versionOrEtag)
                        .orElseThrow(
                                () ->
                                        new NoSuchObject(
                                                "s3://memory/"
                                                        + key
                                                        + (versionOrEtag == null
                                                                ? ""
                                                                : " at " + versionOrEtag)
                                                        + ": no such object (or it no longer has that version or ETag)"));
        return new ByteArrayInputStream(v.bytes());
    }

    private Optional<Version> find(String key, String versionOrEtag) {
        List<Version> versions = objects.get(key);
        if (versions == null || versions.isEmpty()) {
            return Optional.empty();
        }
        Version current = versions.get(versions.size() - 1);
        if (versionOrEtag == null || versionOrEtag.isEmpty() || "null".equals(versionOrEtag)) {
            return Optional.of(current);
        }
        String bare = versionOrEtag.replace("\"", "");
        if (current.etag().equals("\"" + bare + "\"")) {
            return Optional.of(current);
        }
        return versions.stream().filter(v -> v.id().equals(versionOrEtag)).findFirst();
    }

    @Override
    public synchronized Optional<ObjectInfo> head(String key) {
        return head(key, null);
    }

    @Override
    public synchronized Optional<ObjectInfo> head(String key, String versionId) {
        List<Version> versions = objects.get(key);
        if (versions == null || versions.isEmpty()) {
            return Optional.empty();
        }
        Optional<Version> v =
                versionId == null || versionId.isEmpty() || "null".equals(versionId)
                        ? Optional.of(versions.get(versions.size() - 1))
                        : versions.stream().filter(x -> x.id().equals(versionId)).findFirst();
        return v.map(
                x ->
                        new ObjectInfo(
                                key,
                                x.bytes().length,
                                x.etag(),
                                x.id(),
                                x.metadata(),
                                x.lastModified()));
    }

    @Override
    public void put(String key, Path file, String contentType) {
        try {
            putBytes(key, Files.readAllBytes(file), contentType);
        } catch (IOException e) {
            throw new UncheckedIOException("put " + key + " from " + file, e);
        }
    }

    @Override
    public void putBytes(String key, byte[] content, String contentType) {
        putBytes(key, content, Map.of(), contentType);
    }

    /**
     * A put with user metadata (S3's {@code x-amz-meta-*}, keys without the prefix), as a user's
     * upload carries a budget; returns the new version's id.
     */
    public String putBytes(String key, byte[] content, Map<String, String> metadata) {
        return putBytes(key, content, metadata, null);
    }

    private synchronized String putBytes(
            String key, byte[] content, Map<String, String> metadata, String contentType) {
        String id = "v" + nextVersion++;
        objects.computeIfAbsent(key, k -> new ArrayList<>())
                .add(
                        new Version(
                                id,
                                content.clone(),
                                "\"" + md5(content) + "\"",
                                Map.copyOf(metadata),
                                contentType,
                                clock.instant()));
        return id;
    }

    @Override
    public Upload upload(String key, String contentType, Map<String, String> metadata) {
        Map<String, String> kept = Map.copyOf(metadata);
        return Upload.inMemory(bytes -> putBytes(key, bytes, kept, contentType));
    }

    /** As S3's copy onto the same key: a new version, same bytes, metadata and content type. */
    @Override
    public synchronized void refresh(String key) {
        Version current =
                find(key, null)
                        .orElseThrow(
                                () ->
                                        new NoSuchObject(
                                                "s3://memory/"
                                                        + key
                                                        + ": no such object to refresh"));
        putBytes(key, current.bytes(), current.metadata(), current.contentType());
    }

    /** The current content type of {@code key}, for assertions. */
    public synchronized Optional<String> contentType(String key) {
        return find(key, null).map(Version::contentType);
    }

    @Override
    public synchronized List<String> list(String prefix) {
        return List.copyOf(objects.subMap(prefix, prefix + "\uffff").keySet());
    }

    @Override
    public synchronized void delete(String key) {
        objects.remove(key);
    }

    /** The current bytes of {@code key}, for assertions. */
    public synchronized Optional<byte[]> bytes(String key) {
        return find(key, null).map(v -> v.bytes().clone());
    }

    private static String md5(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has MD5", e);
        }
    }
}
