/**
 * The three Lambda handlers — ingest, poll and complete — one Quarkus application deployed as three
 * functions chosen by {@code QUARKUS_LAMBDA_HANDLER}. Handlers parse their event and make one call
 * into the core; the wiring of core and adapters lives in {@code config}.
 */
package dev.batchlane.functions;
