package dev.batchlane.aws.s3;

import dev.batchlane.core.storage.ObjectStore;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The {@link ObjectStore} port on one S3 bucket. Reads are streams; writes come from files on disk.
 */
public final class S3ObjectStore implements ObjectStore {
    /**
     * 8 MiB parts: three in memory per upload at most, and 1,250 parts for a 10 GB object (S3
     * allows 10,000).
     */
    public static final int DEFAULT_PART_SIZE = 8 * 1024 * 1024;

    private static final int PARTS_IN_FLIGHT = 2;
    private static final int READ_ATTEMPTS = 5;

    private final S3Client s3;
    private final String bucket;
    private final int partSize;
    private final java.time.Duration readBackoff;
    // Daemon threads: an upload's parts go out while the caller keeps writing; a JVM never waits on
    // them.
    private final java.util.concurrent.ExecutorService senders =
            java.util.concurrent.Executors.newCachedThreadPool(
                    r -> {
                        Thread t = new Thread(r, "s3-part-upload");
                        t.setDaemon(true);
                        return t;
                    });

    public S3ObjectStore(S3Client s3, String bucket) {
        this(s3, bucket, DEFAULT_PART_SIZE, java.time.Duration.ofMillis(200));
    }

    public S3ObjectStore(S3Client s3, String bucket, int partSize, java.time.Duration readBackoff) {
        this.s3 = s3;
        this.bucket = bucket;
        this.partSize = partSize;
        this.readBackoff = readBackoff;
    }

    public String bucket() {
        return bucket;
    }

    @Override
    public InputStream open(String key, String versionOrEtag) {
        return new ResumingInputStream(
                "s3://" + bucket + "/" + key,
                (offset, etag) -> {
                    GetObjectRequest.Builder get =
                            GetObjectRequest.builder().bucket(bucket).key(key);
                    if (versionOrEtag != null && !versionOrEtag.isEmpty()) {
                        // An ETag is pinned with If-Match; anything else is a version id. Either
                        // way a second read
                        // of the object sees the bytes that were validated, or fails.
                        if (looksLikeEtag(versionOrEtag)) {
                            get.ifMatch(quoted(versionOrEtag));
                        } else {
                            get.versionId(versionOrEtag);
                        }
                    }
                    if (offset > 0) {
                        // The rest of the same bytes: pinned to the first response's ETag when
                        // nothing pinned it yet.
                        get.range("bytes=" + offset + "-");
                        if (etag != null && (versionOrEtag == null || versionOrEtag.isEmpty())) {
                            get.ifMatch(quoted(etag));
                        }
                    }
                    return s3.getObject(get.build());
                },
                READ_ATTEMPTS,
                readBackoff);
    }

    private static String quoted(String etag) {
        return etag.startsWith("\"") ? etag : "\"" + etag + "\"";
    }

    @Override
    public Upload upload(String key, String contentType) {
        return upload(key, contentType, java.util.Map.of());
    }

    /**
     * The metadata goes on the object as S3 user metadata ({@code x-amz-meta-*}), set when the
     * upload starts (S3 takes it on CreateMultipartUpload, or on the single PUT of a small object),
     * so the object carries it from the moment it appears.
     */
    @Override
    public Upload upload(String key, String contentType, java.util.Map<String, String> metadata) {
        return new MultipartUpload(
                s3, bucket, key, contentType, metadata, partSize, PARTS_IN_FLIGHT, senders);
    }

    static boolean looksLikeEtag(String value) {
        String v = value.startsWith("\"") ? value.substring(1, value.length() - 1) : value;
        return v.matches("[0-9a-fA-F]{32}(-\\d+)?");
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        return head(key, null);
    }

    @Override
    public Optional<ObjectInfo> head(String key, String versionId) {
        try {
            HeadObjectResponse h =
                    s3.headObject(
                            b -> {
                                b.bucket(bucket).key(key);
                                if (versionId != null
                                        && !versionId.isEmpty()
                                        && !"null".equals(versionId)) {
                                    b.versionId(versionId);
                                }
                            });
            return Optional.of(
                    new ObjectInfo(
                            key,
                            h.contentLength(),
                            h.eTag(),
                            h.versionId(),
                            h.metadata(),
                            h.lastModified()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * CopyObject onto the same key, server-side. S3 refuses a copy onto itself that changes
     * nothing, so the metadata is replaced, by the object's own metadata and content type: bytes,
     * metadata and content type stay, the object is written anew and its lifecycle age starts
     * again. No encryption is named, so the bucket's default (the lane's KMS key) encrypts the
     * copy. The source is pinned to the ETag just read, so a copy never carries bytes other than
     * those looked at. A single copy takes objects up to 5 GB, above any shard a provider accepts.
     */
    @Override
    public void refresh(String key) {
        HeadObjectResponse h = s3.headObject(b -> b.bucket(bucket).key(key));
        s3.copyObject(
                b -> {
                    b.sourceBucket(bucket)
                            .sourceKey(key)
                            .copySourceIfMatch(h.eTag())
                            .destinationBucket(bucket)
                            .destinationKey(key)
                            .metadataDirective(MetadataDirective.REPLACE)
                            .metadata(h.metadata());
                    if (h.contentType() != null) {
                        b.contentType(h.contentType());
                    }
                    if (h.contentEncoding() != null) {
                        b.contentEncoding(h.contentEncoding());
                    }
                });
    }

    @Override
    public void put(String key, Path file, String contentType) {
        s3.putObject(
                b -> b.bucket(bucket).key(key).contentType(contentType),
                RequestBody.fromFile(file));
    }

    @Override
    public void putBytes(String key, byte[] content, String contentType) {
        s3.putObject(
                b -> b.bucket(bucket).key(key).contentType(contentType),
                RequestBody.fromBytes(content));
    }

    @Override
    public List<String> list(String prefix) {
        List<String> keys = new ArrayList<>();
        for (var page :
                s3.listObjectsV2Paginator(
                        ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build())) {
            for (S3Object o : page.contents()) {
                keys.add(o.key());
            }
        }
        return keys;
    }

    @Override
    public void delete(String key) {
        s3.deleteObject(b -> b.bucket(bucket).key(key));
    }
}
