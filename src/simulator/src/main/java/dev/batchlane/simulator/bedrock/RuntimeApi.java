package dev.batchlane.simulator.bedrock;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** bedrock-runtime: InvokeModel and Converse, answered at once with the model's shape. */
final class RuntimeApi {
    private int runtimeCalls;

    synchronized int runtimeCalls() {
        return runtimeCalls;
    }

    Wire.Answer runtime(String model, ObjectNode body, boolean converse) {
        synchronized (this) {
            runtimeCalls++;
        }
        if (!JobEngine.MODEL_ID.matcher(model).matches()) {
            throw new Wire.Refusal(
                    400, "ValidationException", "The provided model identifier is invalid.");
        }
        if (converse) {
            String problem = ModelAnswers.converseProblem(body);
            if (problem != null) {
                throw new Wire.Refusal(400, "ValidationException", problem);
            }
            return Wire.Answer.ok(ModelAnswers.converse(body));
        }
        String problem = ModelAnswers.nativeProblem(model, body);
        if (problem != null) {
            throw new Wire.Refusal(400, "ValidationException", problem);
        }
        return Wire.Answer.ok(ModelAnswers.nativeBody(model, body));
    }
}
