package dev.batchlane.simulator.openai;

/**
 * How the answer to a call that did take effect is lost on its way back, as it is in the field: a
 * gateway error after the work was done, a connection reset before any byte of the answer, or a
 * success whose body is cut short.
 */
public enum LostAnswer {
    /** 502 from the edge, with an HTML-ish body that is not the API's envelope. */
    BAD_GATEWAY,
    /** The connection is closed without an answer. */
    RESET,
    /** 200 with a body cut mid-document. */
    TRUNCATED
}
