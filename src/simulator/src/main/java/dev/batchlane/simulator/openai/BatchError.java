package dev.batchlane.simulator.openai;

/** One entry of {@code Batch.errors.data}: why validation failed, and on which input line. */
record BatchError(String code, String message, String param, Integer line) {}
