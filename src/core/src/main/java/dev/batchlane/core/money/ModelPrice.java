package dev.batchlane.core.money;

/** What one model costs through the batch API and synchronously. */
public record ModelPrice(String provider, String model, Price sync, Price batch) {}
