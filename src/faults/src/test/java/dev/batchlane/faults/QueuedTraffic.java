package dev.batchlane.faults;

/**
 * Requests enqueued one at a time instead of one file: the draw of the seeds that run the queue
 * lane. One seed in eight above the first eight, {@code seed > 8 && (seed + seed / 8) % 8 == 6}:
 * the provider ({@code seed % 8}) turns with each block of eight seeds, so every provider meets it
 * in the seeds up to 72 (13 Mistral, 20 Groq, 27 Azure, 34 Anthropic, 41 OpenAI, 48 and 56 Bedrock,
 * 63 Gemini, 70 Together), and CI runs seed 13 beside 1..8. Seeds 1..8 and the seeds recorded as
 * failing so far (8, 24, 72, 152) are none of these, so they replay as they did.
 *
 * <p>Each request goes through the intake on one of four threads in a drawn order; some are
 * delivered twice (a few at the same moment, as SQS may), a few are not JSON or miss their id and
 * must be answered at once. The flusher takes groups of a drawn size; in half of these seeds it
 * dies once after fixing what a flush takes and before its inbox file, and the next flusher must
 * finish that flush after its lease. The answerer's reply queue refuses some answers once. Every
 * valid request must be in exactly one flush, every flush a job that holds the file lane's
 * invariant, and every request answered exactly once with its own joined line.
 */
final class QueuedTraffic {
    private QueuedTraffic() {}

    static boolean drawn(long seed) {
        return seed > 8 && Math.floorMod(seed + seed / 8, 8) == 6;
    }
}
