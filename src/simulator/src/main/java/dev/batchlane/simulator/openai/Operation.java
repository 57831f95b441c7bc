package dev.batchlane.simulator.openai;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The HTTP operations the simulator serves, named by their {@code operationId} in the spec. */
public enum Operation {
    CREATE_FILE("createFile"),
    LIST_FILES("listFiles"),
    RETRIEVE_FILE("retrieveFile"),
    DELETE_FILE("deleteFile"),
    DOWNLOAD_FILE("downloadFile"),
    CREATE_BATCH("createBatch"),
    LIST_BATCHES("listBatches"),
    RETRIEVE_BATCH("retrieveBatch"),
    CANCEL_BATCH("cancelBatch");

    private final String operationId;

    Operation(String operationId) {
        this.operationId = operationId;
    }

    public String operationId() {
        return operationId;
    }

    /** The operation with the given spec {@code operationId}, e.g. {@code "createBatch"}. */
    public static Operation fromOperationId(String operationId) {
        for (Operation op : values()) {
            if (op.operationId.equals(operationId)) {
                return op;
            }
        }
        throw new IllegalArgumentException(
                "Unknown operation '"
                        + operationId
                        + "'; expected one of "
                        + Arrays.stream(values())
                                .map(Operation::operationId)
                                .collect(Collectors.joining(", ")));
    }
}
