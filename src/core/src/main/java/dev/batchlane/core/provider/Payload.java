package dev.batchlane.core.provider;

import java.io.IOException;
import java.io.InputStream;

/** A staged shard's bytes, opened on demand so a provider can stream them rather than hold them. */
public record Payload(String name, long size, Opener opener) {

    @FunctionalInterface
    public interface Opener {
        InputStream open() throws IOException;
    }

    public InputStream open() throws IOException {
        return opener.open();
    }
}
