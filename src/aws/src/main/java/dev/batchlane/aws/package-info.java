/**
 * The AWS side of the core's ports. Subpackages hold one adapter each; this package holds what the
 * local emulators need from the SDK clients.
 */
package dev.batchlane.aws;
