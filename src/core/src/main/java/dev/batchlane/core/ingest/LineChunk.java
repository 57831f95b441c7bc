package dev.batchlane.core.ingest;

import java.util.Arrays;

/**
 * Whole lines, copied out of the reader's buffer, with what the in-order half of the pass needs of
 * each; a worker fills {@link #parsed}. Copied because the reader reuses its buffer for the next
 * lines while workers parse these.
 */
final class LineChunk {
    final long firstLine;
    byte[] data = new byte[64 * 1024];
    int used;
    int count;
    int[] start = new int[256];
    int[] length = new int[256];
    long[] original = new long[256];
    boolean[] oversized = new boolean[256];
    boolean[] terminated = new boolean[256];
    ParsedLine[] parsed;

    LineChunk(long firstLine) {
        this.firstLine = firstLine;
    }

    void add(LineReader.Line line) {
        if (count == start.length) {
            int n = count * 2;
            start = Arrays.copyOf(start, n);
            length = Arrays.copyOf(length, n);
            original = Arrays.copyOf(original, n);
            oversized = Arrays.copyOf(oversized, n);
            terminated = Arrays.copyOf(terminated, n);
        }
        if (used + line.length() > data.length) {
            data = Arrays.copyOf(data, Math.max(data.length * 2, used + line.length()));
        }
        System.arraycopy(line.bytes(), 0, data, used, line.length());
        start[count] = used;
        length[count] = line.length();
        original[count] = line.originalLength();
        oversized[count] = line.oversized();
        terminated[count] = line.terminated();
        used += line.length();
        count++;
    }
}
