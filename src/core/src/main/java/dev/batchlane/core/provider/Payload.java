package dev.batchlane.core.provider;

import java.io.IOException;
import java.io.InputStream;

/**
 * A staged shard's bytes, opened on demand so a provider can stream them rather than hold them.
 * {@code objectKey} is where the lane's own bucket holds them (null when they are not in it), so a
 * provider that reads from that bucket can copy the object server-side instead of streaming it.
 */
public record Payload(String name, long size, Opener opener, String objectKey) {

    public Payload(String name, long size, Opener opener) {
        this(name, size, opener, null);
    }

    @FunctionalInterface
    public interface Opener {
        InputStream open() throws IOException;
    }

    public InputStream open() throws IOException {
        return opener.open();
    }
}
