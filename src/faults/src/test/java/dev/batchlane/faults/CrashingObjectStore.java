package dev.batchlane.faults;

import dev.batchlane.core.storage.ObjectStore;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The real S3 store, with a process "killed" on a chosen write: the write whose key matches is not
 * made and the caller dies with an error, once. It stands for a Lambda that timed out or crashed
 * between two steps, which no emulator can produce on cue.
 */
final class CrashingObjectStore implements ObjectStore {
    static final class Crash extends RuntimeException {
        Crash(String key) {
            super("simulated crash before writing " + key);
        }
    }

    private final ObjectStore real;
    private final Predicate<String> crashBefore;
    private final AtomicInteger crashesLeft;

    CrashingObjectStore(ObjectStore real, Predicate<String> crashBefore, int crashes) {
        this.real = real;
        this.crashBefore = crashBefore;
        this.crashesLeft = new AtomicInteger(crashes);
    }

    private void maybeCrash(String key) {
        if (crashBefore.test(key) && crashesLeft.getAndDecrement() > 0) {
            throw new Crash(key);
        }
    }

    @Override
    public InputStream open(String key, String versionOrEtag) {
        return real.open(key, versionOrEtag);
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        return real.head(key);
    }

    @Override
    public Optional<ObjectInfo> head(String key, String versionId) {
        return real.head(key, versionId);
    }

    @Override
    public void put(String key, Path file, String contentType) {
        maybeCrash(key);
        real.put(key, file, contentType);
    }

    @Override
    public void putBytes(String key, byte[] content, String contentType) {
        maybeCrash(key);
        real.putBytes(key, content, contentType);
    }

    /** The real streaming upload, "killed" as it is about to make the object visible. */
    @Override
    public Upload upload(String key, String contentType) {
        return crashing(key, real.upload(key, contentType));
    }

    @Override
    public Upload upload(String key, String contentType, java.util.Map<String, String> metadata) {
        return crashing(key, real.upload(key, contentType, metadata));
    }

    private Upload crashing(String key, Upload upload) {
        return new Upload() {
            @Override
            public void write(byte[] b, int off, int len) throws java.io.IOException {
                upload.write(b, off, len);
                count(len);
            }

            @Override
            public void complete() throws java.io.IOException {
                maybeCrash(key);
                upload.complete();
            }

            @Override
            public boolean completed() {
                return upload.completed();
            }

            @Override
            public void close() throws java.io.IOException {
                upload.close();
            }
        };
    }

    @Override
    public List<String> list(String prefix) {
        return real.list(prefix);
    }

    @Override
    public void delete(String key) {
        real.delete(key);
    }
}
