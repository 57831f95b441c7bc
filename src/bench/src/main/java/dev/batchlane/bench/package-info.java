/**
 * The benchmark harness (built only with -Pbench): generated files of realistic shape, each
 * measurement in its own JVM so its peak memory is its own, and ratios against a reference tool
 * measured in the same run. Figures and commands are in docs/BENCHMARKS.md.
 */
package dev.batchlane.bench;
