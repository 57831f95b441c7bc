package dev.batchlane.core.ingest;

import dev.batchlane.core.lane.Keys;

/**
 * The object one ingest attempt works on: the job it becomes, the object the event named, and the
 * provider and name it was dropped under. Every step of an attempt speaks of the same three.
 */
record DroppedFile(String jobId, IngestService.ObjectRef ref, Keys.Drop drop) {}
