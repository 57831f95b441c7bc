/**
 * The four Lambda handlers — ingest, poll, complete and enqueue — one Quarkus application deployed
 * as four functions chosen by {@code QUARKUS_LAMBDA_HANDLER}. Handlers parse their event and make
 * one call into the core; the wiring of core and adapters lives in {@code config}.
 */
package dev.batchlane.functions;
