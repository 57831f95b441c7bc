package dev.batchlane.core.lane;

import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.storage.ObjectStore;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * A staged shard handed to a provider as its {@link Payload}, remembering whether reading it
 * failed. An adapter streams the payload into its request body; when that read fails, the request
 * never left whole, so the provider cannot have acted on it, however the adapter reports the
 * failure (a transport error, status 0, looks like a lost answer). The submitter asks here before
 * it treats a failed creating call as one that may have taken effect.
 */
final class StagedRead {
    private final ObjectStore objects;
    private final String key;
    private volatile RuntimeException failure;

    StagedRead(ObjectStore objects, String key) {
        this.objects = objects;
        this.key = key;
    }

    Payload payload(String name, long size) {
        return new Payload(name, size, this::open, key);
    }

    /** Whether a read of the staged object failed during this submission. */
    boolean failed() {
        return failure != null;
    }

    /** What the failed read said; call only when {@link #failed()}. */
    String failure() {
        Throwable cause = failure instanceof UncheckedIOException u ? u.getCause() : failure;
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    /** Whether the staged object is still there; asked only after a read failed. */
    boolean objectExists() {
        try {
            return objects.head(key).isPresent();
        } catch (RuntimeException unknown) {
            // The look failed too (a role without the read, the store down): not known to be
            // gone, so the shard waits rather than ending for good.
            return true;
        }
    }

    private InputStream open() throws IOException {
        InputStream in;
        try {
            in = objects.open(key);
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        }
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                try {
                    return super.read();
                } catch (IOException e) {
                    failure = new UncheckedIOException(e);
                    throw e;
                } catch (RuntimeException e) {
                    failure = e;
                    throw e;
                }
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return super.read(b, off, len);
                } catch (IOException e) {
                    failure = new UncheckedIOException(e);
                    throw e;
                } catch (RuntimeException e) {
                    failure = e;
                    throw e;
                }
            }
        };
    }
}
