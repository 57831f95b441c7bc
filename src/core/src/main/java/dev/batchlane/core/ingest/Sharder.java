package dev.batchlane.core.ingest;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Cuts an already validated file into shards within the request and byte limits, one shard at a
 * time in a temporary file, so disk and memory hold at most one shard. Lines are staged exactly as
 * read, less the normalisation {@link LineReader} applies (CRLF, byte-order mark, blank lines).
 */
public final class Sharder {
    private final IngestLimits limits;
    private final Path tempDir;

    public Sharder(IngestLimits limits, Path tempDir) {
        this.limits = limits;
        this.tempDir = tempDir;
    }

    /** One finished shard; its file is deleted after the callback returns. */
    public record StagedShard(int index, Path file, long requests, long bytes) {}

    @FunctionalInterface
    public interface ShardSink {
        void accept(StagedShard shard) throws IOException;
    }

    /** Returns the sha256 of what was read, so the caller can check it re-read the validated bytes. */
    public String cut(InputStream in, ShardSink sink) throws IOException {
        MessageDigest sha = FileValidator.sha256();
        LineReader reader = new LineReader(new DigestInputStream(in, sha), limits.maxLineBytes());
        Current current = null;
        int index = 0;
        try {
            LineReader.Line line;
            while ((line = reader.next()) != null) {
                if (line.oversized()) {
                    throw new IllegalStateException("line " + line.number()
                            + " is over the line limit; the file changed after it was validated");
                }
                if (line.blank()) {
                    continue;
                }
                long size = line.length() + 1L;
                if (current != null && (current.requests == limits.maxRequestsPerShard()
                        || current.bytes + size > limits.maxBytesPerShard())) {
                    current.finish(sink);
                    current = null;
                }
                if (current == null) {
                    index++;
                    current = new Current(index, Files.createTempFile(tempDir, "shard-", ".jsonl"));
                }
                current.out.write(line.bytes(), 0, line.length());
                current.out.write('\n');
                current.requests++;
                current.bytes += size;
            }
            if (current != null) {
                current.finish(sink);
                current = null;
            }
        } finally {
            if (current != null) {
                current.discard();
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static final class Current {
        final int index;
        final Path file;
        final OutputStream out;
        long requests;
        long bytes;

        Current(int index, Path file) throws IOException {
            this.index = index;
            this.file = file;
            this.out = new BufferedOutputStream(Files.newOutputStream(file), 64 * 1024);
        }

        void finish(ShardSink sink) throws IOException {
            out.close();
            try {
                sink.accept(new StagedShard(index, file, requests, bytes));
            } finally {
                Files.deleteIfExists(file);
            }
        }

        void discard() {
            try {
                out.close();
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new UncheckedIOException("could not remove temporary shard " + file, e);
            }
        }
    }
}
