/**
 * The local stack behind ./batchlane: the emulators, the provider simulators and the three
 * functions run as separate JVMs under a local Lambda Runtime API, wired the way the synthesized
 * CDK template wires them (memory, timeout, /tmp, environment), plus the command line that drives
 * it.
 */
package dev.batchlane.local;
