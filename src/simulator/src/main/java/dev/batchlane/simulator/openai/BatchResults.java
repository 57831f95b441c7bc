package dev.batchlane.simulator.openai;

import java.nio.file.Path;

/** The output and error lines written for a batch, still in temporary files until published. */
record BatchResults(
        Path outputPath,
        int outputLines,
        long outputBytes,
        Path errorPath,
        int errorLines,
        long errorBytes,
        int succeeded,
        int failed,
        KnownUsage usage) {}
