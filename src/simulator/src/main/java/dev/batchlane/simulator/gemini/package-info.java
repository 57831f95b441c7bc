/**
 * The Gemini API's batch mode on loopback, as strict as the discovery document allows: the Files
 * API's resumable upload (start, chunks at exact offsets, query, finalize), batches as long-running
 * operations moving through their states, a responses file of {@code response} or {@code error}
 * lines per key in shuffled order, download, deletion, and faults (refused calls, calls that take
 * effect with their answer lost, failed lines, expiry with no results).
 */
package dev.batchlane.simulator.gemini;
