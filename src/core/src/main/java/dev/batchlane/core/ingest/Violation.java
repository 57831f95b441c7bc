package dev.batchlane.core.ingest;

/**
 * One broken rule: the line (1-based; 0 for the file as a whole), the custom_id when known, a
 * stable code.
 */
public record Violation(long line, String customId, String code, String message) {}
