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
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The {@link ObjectStore} port on one S3 bucket. Reads are streams; writes come from files on disk. */
public final class S3ObjectStore implements ObjectStore {
    private final S3Client s3;
    private final String bucket;

    public S3ObjectStore(S3Client s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket;
    }

    public String bucket() {
        return bucket;
    }

    @Override
    public InputStream open(String key, String versionOrEtag) {
        GetObjectRequest.Builder get = GetObjectRequest.builder().bucket(bucket).key(key);
        if (versionOrEtag != null && !versionOrEtag.isEmpty()) {
            // An ETag is pinned with If-Match; anything else is a version id. Either way a second read
            // of the object sees the bytes that were validated, or fails.
            if (looksLikeEtag(versionOrEtag)) {
                get.ifMatch(versionOrEtag.startsWith("\"") ? versionOrEtag : "\"" + versionOrEtag + "\"");
            } else {
                get.versionId(versionOrEtag);
            }
        }
        return s3.getObject(get.build());
    }

    static boolean looksLikeEtag(String value) {
        String v = value.startsWith("\"") ? value.substring(1, value.length() - 1) : value;
        return v.matches("[0-9a-fA-F]{32}(-\\d+)?");
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        try {
            HeadObjectResponse h = s3.headObject(b -> b.bucket(bucket).key(key));
            return Optional.of(new ObjectInfo(key, h.contentLength(), h.eTag(), h.versionId(), h.metadata()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public void put(String key, Path file, String contentType) {
        s3.putObject(b -> b.bucket(bucket).key(key).contentType(contentType), RequestBody.fromFile(file));
    }

    @Override
    public void putBytes(String key, byte[] content, String contentType) {
        s3.putObject(b -> b.bucket(bucket).key(key).contentType(contentType), RequestBody.fromBytes(content));
    }

    @Override
    public List<String> list(String prefix) {
        List<String> keys = new ArrayList<>();
        for (var page : s3.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build())) {
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
