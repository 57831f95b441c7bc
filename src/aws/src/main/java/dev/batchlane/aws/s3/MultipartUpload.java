package dev.batchlane.aws.s3;

import dev.batchlane.core.storage.ObjectStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * One object written as an S3 multipart upload, part by part, so a 200 MB shard or a 1 GB joined
 * part needs {@code partSize × (inFlight + 1)} bytes of memory and no disk. Parts are sent in the
 * background, at most {@code inFlight} at a time, so writing goes on while S3 receives. An object
 * smaller than one part is sent as a single PUT. Nothing is visible until {@link #complete()}.
 */
final class MultipartUpload extends ObjectStore.Upload {
    private final S3Client s3;
    private final String bucket;
    private final String key;
    private final String contentType;
    private final java.util.Map<String, String> metadata;
    private final int partSize;
    private final int inFlight;
    private final ExecutorService senders;
    private final List<Future<CompletedPart>> sent = new ArrayList<>();
    private byte[] buffer;
    private int filled;
    private String uploadId;
    private boolean completed;
    private boolean closed;

    MultipartUpload(
            S3Client s3,
            String bucket,
            String key,
            String contentType,
            java.util.Map<String, String> metadata,
            int partSize,
            int inFlight,
            ExecutorService senders) {
        if (partSize < 5 * 1024 * 1024) {
            throw new IllegalArgumentException("S3 parts are at least 5 MiB; got " + partSize);
        }
        this.s3 = s3;
        this.bucket = bucket;
        this.key = key;
        this.contentType = contentType;
        this.metadata = java.util.Map.copyOf(metadata);
        this.partSize = partSize;
        this.inFlight = inFlight;
        this.senders = senders;
        this.buffer = new byte[partSize];
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("s3://" + bucket + "/" + key + ": upload already closed");
        }
        count(len);
        while (len > 0) {
            int take = Math.min(len, partSize - filled);
            System.arraycopy(b, off, buffer, filled, take);
            filled += take;
            off += take;
            len -= take;
            if (filled == partSize) {
                sendPart();
            }
        }
    }

    private void sendPart() throws IOException {
        if (uploadId == null) {
            uploadId =
                    s3.createMultipartUpload(
                                    r ->
                                            r.bucket(bucket)
                                                    .key(key)
                                                    .contentType(contentType)
                                                    .metadata(metadata))
                            .uploadId();
        }
        // Back-pressure: the writer waits when inFlight parts are still on their way.
        while (pending() >= inFlight) {
            awaitOldestPending();
        }
        int number = sent.size() + 1;
        byte[] part = buffer;
        int length = filled;
        String id = uploadId;
        sent.add(
                senders.submit(
                        () -> {
                            String etag =
                                    s3.uploadPart(
                                                    r ->
                                                            r.bucket(bucket)
                                                                    .key(key)
                                                                    .uploadId(id)
                                                                    .partNumber(number)
                                                                    .contentLength((long) length),
                                                    RequestBody.fromByteBuffer(
                                                            java.nio.ByteBuffer.wrap(
                                                                    part, 0, length)))
                                            .eTag();
                            return CompletedPart.builder().partNumber(number).eTag(etag).build();
                        }));
        buffer = new byte[partSize];
        filled = 0;
    }

    private int pending() {
        int n = 0;
        for (Future<CompletedPart> f : sent) {
            if (!f.isDone()) {
                n++;
            }
        }
        return n;
    }

    private void awaitOldestPending() throws IOException {
        for (Future<CompletedPart> f : sent) {
            if (!f.isDone()) {
                get(f);
                return;
            }
        }
    }

    private CompletedPart get(Future<CompletedPart> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(
                    "s3://" + bucket + "/" + key + ": interrupted while uploading", e);
        } catch (ExecutionException e) {
            throw new IOException(
                    "s3://" + bucket + "/" + key + ": uploading a part failed: " + e.getCause(),
                    e.getCause());
        }
    }

    @Override
    public void complete() throws IOException {
        if (completed) {
            return;
        }
        if (uploadId == null) {
            s3.putObject(
                    r -> r.bucket(bucket).key(key).contentType(contentType).metadata(metadata),
                    RequestBody.fromByteBuffer(java.nio.ByteBuffer.wrap(buffer, 0, filled)));
        } else {
            if (filled > 0) {
                sendPart();
            }
            List<CompletedPart> parts = new ArrayList<>();
            for (Future<CompletedPart> f : sent) {
                parts.add(get(f));
            }
            parts.sort(Comparator.comparing(CompletedPart::partNumber));
            s3.completeMultipartUpload(
                    r ->
                            r.bucket(bucket)
                                    .key(key)
                                    .uploadId(uploadId)
                                    .multipartUpload(m -> m.parts(parts)));
        }
        completed = true;
        buffer = null;
    }

    @Override
    public boolean completed() {
        return completed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        buffer = null;
        if (!completed && uploadId != null) {
            for (Future<CompletedPart> f : sent) {
                f.cancel(false);
            }
            try {
                s3.abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId));
            } catch (RuntimeException e) {
                // The bucket's lifecycle rule aborts incomplete uploads after a day; nothing was
                // made visible.
                System.getLogger(MultipartUpload.class.getName())
                        .log(
                                System.Logger.Level.WARNING,
                                "s3://{0}/{1}: aborting the upload failed ({2}); the lifecycle rule removes it",
                                bucket,
                                key,
                                e.toString());
            }
        }
    }
}
