/**
 * Local simulators of the providers' batch APIs, strict where the real services are strict and
 * unkind where they are unkind (faults, expiry, limits), with a clock tests move by hand.
 */
package dev.batchlane.simulator;
