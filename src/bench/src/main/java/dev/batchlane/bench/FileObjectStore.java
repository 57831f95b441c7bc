package dev.batchlane.bench;

import dev.batchlane.core.storage.ObjectStore;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The bucket as a directory: a key is a relative path. Objects are streamed from and copied to
 * files, as S3 would stream them, so the benchmark measures the lane's code and the disk, not a
 * network. Versions are ignored (every object has one).
 */
final class FileObjectStore implements ObjectStore {
    private final Path root;

    FileObjectStore(Path root) {
        this.root = root;
    }

    Path path(String key) {
        return root.resolve(key);
    }

    @Override
    public InputStream open(String key, String versionOrEtag) {
        try {
            return new BufferedInputStream(Files.newInputStream(path(key)), 1 << 16);
        } catch (IOException e) {
            throw ObjectStore.unchecked("open " + key, e);
        }
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        Path p = path(key);
        if (!Files.isRegularFile(p)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ObjectInfo(key, Files.size(p), "etag-bench", null, Map.of()));
        } catch (IOException e) {
            throw ObjectStore.unchecked("head " + key, e);
        }
    }

    @Override
    public void put(String key, Path file, String contentType) {
        try {
            Files.createDirectories(path(key).getParent());
            Files.copy(file, path(key), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw ObjectStore.unchecked("put " + key, e);
        }
    }

    @Override
    public void putBytes(String key, byte[] content, String contentType) {
        try {
            Files.createDirectories(path(key).getParent());
            Files.write(path(key), content);
        } catch (IOException e) {
            throw ObjectStore.unchecked("put " + key, e);
        }
    }

    /** Straight to the file, as S3's multipart upload sends parts: no copy in memory. */
    @Override
    public Upload upload(String key, String contentType) {
        try {
            Files.createDirectories(path(key).getParent());
            Path partial = path(key).resolveSibling(path(key).getFileName() + ".uploading");
            java.io.OutputStream out =
                    new java.io.BufferedOutputStream(Files.newOutputStream(partial), 1 << 16);
            return new Upload() {
                private boolean done;
                private boolean closed;

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                    count(len);
                }

                @Override
                public void complete() throws IOException {
                    out.close();
                    Files.move(partial, path(key), StandardCopyOption.REPLACE_EXISTING);
                    done = true;
                }

                @Override
                public boolean completed() {
                    return done;
                }

                @Override
                public void close() throws IOException {
                    if (!closed) {
                        closed = true;
                        out.close();
                        Files.deleteIfExists(partial);
                    }
                }
            };
        } catch (IOException e) {
            throw ObjectStore.unchecked("upload " + key, e);
        }
    }

    @Override
    public List<String> list(String prefix) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile)
                    .map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .filter(k -> k.startsWith(prefix))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("list " + prefix, e);
        }
    }

    @Override
    public void delete(String key) {
        try {
            Files.deleteIfExists(path(key));
        } catch (IOException e) {
            throw ObjectStore.unchecked("delete " + key, e);
        }
    }
}
