/**
 * Configuration (one @ConfigMapping), the wiring that builds the core's services and adapters from
 * it, and provider keys read from Secrets Manager rather than from the environment.
 */
package dev.batchlane.functions.config;
