package dev.batchlane.core.ingest;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** A provider contract with no rules of its own, so the generic rules can be tested alone. */
final class TestContract implements RequestContract {
    @Override
    public String idField() {
        return "custom_id";
    }

    @Override
    public FileRules startFile() {
        return new FileRules() {
            @Override
            public void check(
                    long lineNumber, String customId, ObjectNode line, ViolationSink out) {
                if (line.has("bad")) {
                    out.add(
                            new Violation(
                                    lineNumber,
                                    customId,
                                    "bad_field",
                                    "line " + lineNumber + " is bad"));
                }
            }

            @Override
            public String endpoint() {
                return "/v1/test";
            }

            @Override
            public String model() {
                return "test-model";
            }

            @Override
            public long inputs(ObjectNode line) {
                return line.path("inputs").asLong(1);
            }
        };
    }
}
