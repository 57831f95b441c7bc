package dev.batchlane.core.ingest;

import java.nio.charset.StandardCharsets;

/**
 * Remembers which custom_ids a file has used, and on which line, in 12 bytes per table slot
 * whatever the id's length: a 64-bit hash and an int line number in an open-addressing table kept
 * at most three-quarters full, so 16–32 bytes per id. A file of 10 million lines needs 160–320 MB
 * instead of gigabytes of strings; it is the one part of ingest that grows with the file. Two
 * different ids share a 64-bit hash with probability about n²/2⁶⁵ (3·10⁻⁶ for 10 million ids); such
 * a pair would be reported as a duplicate, a false rejection the user can see and never a lost
 * request.
 */
final class IdRegistry {
    private long[] keys = new long[1 << 12];
    private int[] lines = new int[1 << 12];
    private int size;

    /** Records the id; returns the line it was first seen on, or 0 if it is new. */
    long putIfAbsent(String id, long line) {
        long h = hash(id);
        if (h == 0) {
            h = 1; // 0 marks an empty slot
        }
        if ((size + 1) * 4L > keys.length * 3L) {
            grow();
        }
        int mask = keys.length - 1;
        int i = (int) (mix(h) & mask);
        while (keys[i] != 0) {
            if (keys[i] == h) {
                return lines[i];
            }
            i = (i + 1) & mask;
        }
        keys[i] = h;
        lines[i] = (int) Math.min(line, Integer.MAX_VALUE);
        size++;
        return 0;
    }

    int size() {
        return size;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldLines = lines;
        keys = new long[oldKeys.length * 2];
        lines = new int[oldKeys.length * 2];
        int mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldKeys[j] != 0) {
                int i = (int) (mix(oldKeys[j]) & mask);
                while (keys[i] != 0) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[j];
                lines[i] = oldLines[j];
            }
        }
    }

    /** FNV-1a over the UTF-8 bytes, then a finaliser so that similar ids spread over the table. */
    static long hash(String id) {
        long h = 0xcbf29ce484222325L;
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xFF);
            h *= 0x100000001b3L;
        }
        return mix(h ^ id.length());
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
