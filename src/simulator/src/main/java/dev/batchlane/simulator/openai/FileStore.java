package dev.batchlane.simulator.openai;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The simulator's files, with their content in a private temporary directory so that memory stays
 * flat however large the files are. The directory is deleted on {@link #close()}.
 */
final class FileStore implements AutoCloseable {
    /** OpenAI accepts batch input files up to 200 MB (docs/providers.md). */
    static final long MAX_BATCH_FILE_BYTES = 200L * 1024 * 1024;

    /**
     * Files with purpose {@code batch} expire after 30 days by default (spec FileExpirationAfter).
     */
    static final Duration DEFAULT_BATCH_FILE_TTL = Duration.ofDays(30);

    private static final int MAX_FIELD_BYTES = 64 * 1024;

    private final Path dir;
    private final Clock clock;
    private final Dialect dialect;
    private final Map<String, StoredFile> files = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();

    FileStore(Clock clock) throws IOException {
        this(clock, Dialect.OPENAI);
    }

    FileStore(Clock clock, Dialect dialect) throws IOException {
        this.clock = clock;
        this.dialect = dialect;
        this.dir = Files.createTempDirectory("batchlane-openai-sim-");
    }

    /**
     * Stores a {@code createFile} upload: the multipart body is streamed to a temporary file first,
     * because {@code purpose} may arrive after {@code file} and is only known at the end.
     */
    StoredFile upload(InputStream body, String contentType) throws IOException {
        MultipartReader reader = new MultipartReader(body, MultipartReader.boundaryOf(contentType));
        Path temp = Files.createTempFile(dir, "upload-", ".part");
        try {
            String filename = null;
            long bytes = -1;
            String purpose = null;
            String anchor = null;
            String seconds = null;
            for (MultipartReader.Part part; (part = reader.nextPart()) != null; ) {
                String name = part.name() == null ? "" : part.name();
                switch (name) {
                    case "file" -> {
                        if (bytes >= 0) {
                            throw ApiError.badRequest(
                                    "Only one 'file' may be uploaded per request.", "file", null);
                        }
                        try (CountingOutputStream out =
                                new CountingOutputStream(
                                        dialect.maxFileBytes(),
                                        new BufferedOutputStream(
                                                Files.newOutputStream(temp), 64 * 1024))) {
                            reader.copyBody(out);
                            bytes = out.count;
                        }
                        filename = part.filename();
                    }
                    case "purpose" -> purpose = reader.readSmallBody(MAX_FIELD_BYTES, name).trim();
                    case "expires_after[anchor]" ->
                            anchor = reader.readSmallBody(MAX_FIELD_BYTES, name).trim();
                    case "expires_after[seconds]" ->
                            seconds = reader.readSmallBody(MAX_FIELD_BYTES, name).trim();
                    default -> reader.copyBody(OutputStream.nullOutputStream());
                }
            }
            if (bytes < 0) {
                throw ApiError.missing("file");
            }
            if (purpose == null || purpose.isEmpty()) {
                throw ApiError.missing("purpose");
            }
            if (!purpose.equals(dialect.purpose())) {
                throw ApiError.invalidValue(
                        "purpose",
                        "Invalid value for 'purpose': '"
                                + purpose
                                + "'. This simulator supports only purpose '"
                                + dialect.purpose()
                                + "'.");
            }
            if (filename == null || filename.isBlank()) {
                throw ApiError.badRequest("The 'file' part must have a filename.", "file", null);
            }
            if (!filename.toLowerCase(Locale.ROOT).endsWith(".jsonl")) {
                throw ApiError.badRequest(
                        "Invalid file format for Batch API. Must be .jsonl", "file", null);
            }
            long now = clock.instant().getEpochSecond();
            long ttl =
                    expiresAfterSeconds(
                            anchor,
                            seconds,
                            DEFAULT_BATCH_FILE_TTL.toSeconds(),
                            dialect.inputExpiryRange());
            return register(temp, filename, purpose, bytes, now, now + ttl);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    /** A new empty file in the store's directory, for the batch engine to write results into. */
    Path newTempFile(String prefix) throws IOException {
        return Files.createTempFile(dir, prefix, ".tmp");
    }

    /** Publishes a finished temporary file as a stored file; the temporary path is moved. */
    StoredFile register(
            Path temp, String filename, String purpose, long bytes, long createdAt, Long expiresAt)
            throws IOException {
        String id = dialect == Dialect.MISTRAL ? Ids.uuid() : Ids.file();
        Path target = dir.resolve(id);
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        StoredFile file =
                new StoredFile(
                        id,
                        bytes,
                        createdAt,
                        expiresAt,
                        filename,
                        purpose,
                        target,
                        sequence.incrementAndGet());
        files.put(id, file);
        return file;
    }

    /**
     * A private copy of a file's content that survives the file's deletion, so that a client
     * deleting its input file right after creating a batch does not break the batch. A hard link
     * costs nothing; copying is the fallback where links are not supported.
     */
    Path snapshot(StoredFile file) throws IOException {
        Path copy = dir.resolve("snapshot-" + Ids.withPrefix("") + "-" + file.id());
        try {
            Files.createLink(copy, file.path());
        } catch (UnsupportedOperationException | FileSystemException e) {
            Files.copy(file.path(), copy);
        }
        return copy;
    }

    Optional<StoredFile> get(String id) {
        return Optional.ofNullable(files.get(id));
    }

    boolean delete(String id) throws IOException {
        StoredFile removed = files.remove(id);
        if (removed == null) {
            return false;
        }
        Files.deleteIfExists(removed.path());
        return true;
    }

    /** All live files, oldest first. */
    List<StoredFile> list() {
        return files.values().stream()
                .sorted(Comparator.comparingLong(StoredFile::sequence))
                .toList();
    }

    Set<String> ids() {
        return new TreeSet<>(files.keySet());
    }

    /** Forgets every file and deletes all content, including snapshots and temporary files. */
    void clear() {
        files.clear();
        deleteContents(false);
    }

    @Override
    public void close() {
        files.clear();
        deleteContents(true);
    }

    static long expiresAfterSeconds(String anchor, String seconds, long defaultSeconds) {
        return expiresAfterSeconds(
                anchor, seconds, defaultSeconds, Dialect.OPENAI.inputExpiryRange());
    }

    /**
     * Azure bounds an input file's expiry to 14..30 days, narrower than OpenAI's 1 hour..30 days.
     */
    static long expiresAfterSeconds(
            String anchor, String seconds, long defaultSeconds, long[] range) {
        if (anchor == null && seconds == null) {
            return defaultSeconds;
        }
        if (!"created_at".equals(anchor)) {
            throw ApiError.invalidValue(
                    "expires_after.anchor",
                    "Invalid value for 'expires_after.anchor': expected 'created_at'.");
        }
        long value;
        try {
            value = Long.parseLong(seconds == null ? "" : seconds);
        } catch (NumberFormatException e) {
            throw ApiError.invalidValue(
                    "expires_after.seconds",
                    "Invalid value for 'expires_after.seconds': expected an integer.");
        }
        if (value < range[0] || value > range[1]) {
            throw ApiError.invalidValue(
                    "expires_after.seconds",
                    "Invalid value for 'expires_after.seconds': must be "
                            + "between "
                            + range[0]
                            + " and "
                            + range[1]
                            + " seconds, got "
                            + value
                            + ".");
        }
        return value;
    }

    /** The spec bounds every expiration policy to 1 hour .. 30 days. */
    static void checkExpirySeconds(long seconds, String param) {
        if (seconds < 3600 || seconds > 2_592_000) {
            throw ApiError.invalidValue(
                    param,
                    "Invalid value for '"
                            + param
                            + "': must be between 3600 and 2592000 seconds, got "
                            + seconds
                            + ".");
        }
    }

    private void deleteContents(boolean includingDir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                if (includingDir || !p.equals(dir)) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not delete simulator files under " + dir, e);
        }
    }

    /** Counts the bytes of an upload as they pass, so the size is known without a second read. */
    private static final class CountingOutputStream extends FilterOutputStream {
        private final long max;
        long count;

        CountingOutputStream(long max, OutputStream out) {
            super(out);
            this.max = max;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            count += len;
            // Stop early rather than fill the disk with an upload that will be refused anyway.
            if (count > max) {
                throw ApiError.badRequest("File is too large.", "file", null);
            }
            out.write(b, off, len);
        }
    }
}
