/**
 * Tokens and money: estimates that are upper bounds, the price table (batch and synchronous, built
 * from the rows each registered provider ships), the projection a budget is checked against, and
 * the bill in the manifest.
 */
package dev.batchlane.core.money;
