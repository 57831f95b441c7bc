/**
 * The providers' stand-ins on the local stack: each catalogue provider runs on its simulator unless
 * the environment names the real service ({@link dev.batchlane.core.catalogue.LocalRun}). {@link
 * SimulatorRegistry} is the one place that maps a provider's name to its simulator.
 */
package dev.batchlane.local.standin;
