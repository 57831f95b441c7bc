package dev.batchlane.conformance;

/**
 * How the answer to a creating call that did take effect is lost on its way back. Every simulator
 * plays all three, each in its provider's own shape.
 */
public enum LostAnswer {
    /** A 5xx from the provider's edge after the work was done. */
    SERVER_ERROR,
    /** The connection is closed before any byte of the answer. */
    RESET,
    /** A 2xx whose body is cut mid-document. */
    CUT_SUCCESS
}
