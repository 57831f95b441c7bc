package dev.batchlane.aws.s3;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.function.BiFunction;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Reads one S3 object to its end however often the connection breaks: after a failure it asks for
 * the rest with a ranged GET from the byte where it stopped, pinned to the ETag of the first
 * response so the bytes cannot change underneath. A body that ends before its length is a failure
 * too. After {@code maxAttempts} consecutive failures at the same offset it gives up with an error
 * naming the object and the offset. A slow reader therefore never restarts a 4 GB file.
 */
final class ResumingInputStream extends InputStream {
    /**
     * Opens the object from {@code offset} on (0: the whole object), pinned to {@code etag} when
     * not null.
     */
    interface Opener extends BiFunction<Long, String, ResponseInputStream<GetObjectResponse>> {}

    private final String name;
    private final Opener opener;
    private final int maxAttempts;
    private final Duration backoff;
    private ResponseInputStream<GetObjectResponse> current;
    private String etag;
    private long position;
    private long end = -1;
    private int failuresHere;
    private long failureOffset = -1;
    private boolean closed;

    ResumingInputStream(String name, Opener opener, int maxAttempts, Duration backoff) {
        this.name = name;
        this.opener = opener;
        this.maxAttempts = maxAttempts;
        this.backoff = backoff;
        this.current = opener.apply(0L, null);
        GetObjectResponse r = current.response();
        this.etag = r.eTag();
        if (r.contentLength() != null) {
            this.end = r.contentLength();
        }
    }

    /** Bytes delivered so far. */
    long position() {
        return position;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException(name + ": stream closed");
        }
        if (len == 0) {
            return 0;
        }
        while (true) {
            if (end >= 0 && position >= end) {
                return -1;
            }
            Throwable failure;
            try {
                int n = current.read(b, off, len);
                if (n > 0) {
                    position += n;
                    return n;
                }
                if (end < 0) {
                    return -1;
                }
                failure = new IOException("the body ended at byte " + position + " of " + end);
            } catch (IOException | SdkException e) {
                failure = e;
            }
            resume(failure);
        }
    }

    private void resume(Throwable failure) throws IOException {
        if (failureOffset != position) {
            failureOffset = position;
            failuresHere = 0;
        }
        failuresHere++;
        closeQuietly();
        if (failuresHere >= maxAttempts) {
            throw new IOException(
                    name
                            + ": reading failed at byte "
                            + position
                            + (end >= 0 ? " of " + end : "")
                            + " after "
                            + failuresHere
                            + " attempts: "
                            + failure,
                    failure);
        }
        System.getLogger(ResumingInputStream.class.getName())
                .log(
                        System.Logger.Level.WARNING,
                        "{0}: read broke at byte {1} ({2}); resuming from there (attempt {3} of {4})",
                        name,
                        position,
                        failure.toString(),
                        failuresHere + 1,
                        maxAttempts);
        try {
            Thread.sleep(backoff.toMillis() * (1L << Math.min(failuresHere - 1, 6)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(name + ": interrupted while resuming at byte " + position, e);
        }
        try {
            current = opener.apply(position, etag);
        } catch (SdkException e) {
            // Opening may fail too (the same outage); it counts as one more attempt at this offset.
            current = null;
            resume(e);
        }
    }

    private void closeQuietly() {
        if (current != null) {
            try {
                current.abort();
                current.close();
            } catch (IOException | RuntimeException ignored) {
                // the connection is already broken; nothing more to release
            }
            current = null;
        }
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            if (current != null) {
                if (end >= 0 && position < end) {
                    // Stop the rest of the body instead of draining gigabytes we no longer want.
                    current.abort();
                }
                current.close();
            }
        }
    }
}
