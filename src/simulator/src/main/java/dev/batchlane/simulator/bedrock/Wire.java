package dev.batchlane.simulator.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The service's REST-JSON answers: a success body, or an error with its {@code x-amzn-ErrorType},
 * and the refusal that carries one out of a handler.
 */
final class Wire {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Wire() {}

    record Answer(int status, String errorType, String body) {
        static Answer ok(JsonNode body) {
            return new Answer(200, null, body.toString());
        }

        static Answer error(int status, String type, String message) {
            ObjectNode n = JSON.createObjectNode();
            n.put("message", message);
            return new Answer(status, type, n.toString());
        }
    }

    static final class Refusal extends RuntimeException {
        final Answer answer;

        Refusal(int status, String type, String message) {
            super(message, null, false, false);
            this.answer = Answer.error(status, type, message);
        }
    }
}
