package dev.batchlane.faults;

import dev.batchlane.simulator.openai.LostAnswer;
import dev.batchlane.simulator.openai.OpenAiSimulator;
import dev.batchlane.simulator.openai.Operation;
import java.util.List;
import java.util.Random;

/** Faults the vendors on OpenAI's wire share where they differ from OpenAI. */
final class VendorFaults {
    private VendorFaults() {}

    /**
     * A full queue as Groq, Together and Mistral answer it: the create refused with 429, nothing
     * made.
     */
    static String queueRefusesCreates(OpenAiSimulator sim, Random r) {
        int n = 1 + r.nextInt(3);
        sim.failNextCalls(Operation.CREATE_BATCH, 429, n);
        return "queue full: create 429×" + n;
    }

    /**
     * Each creating call (the upload and the create) may take effect and lose its answer: a 502, a
     * reset, a cut 200.
     */
    static void loseAnswersOnEveryCreatingCall(OpenAiSimulator sim, Random r, List<String> said) {
        for (Operation op : List.of(Operation.CREATE_FILE, Operation.CREATE_BATCH)) {
            if (r.nextInt(3) == 0) {
                LostAnswer how = LostAnswer.values()[r.nextInt(LostAnswer.values().length)];
                int n = 1 + r.nextInt(2);
                sim.loseNextAnswers(op, how, n);
                said.add(op.operationId() + " applied, answer lost (" + how + ")×" + n);
            }
        }
    }
}
