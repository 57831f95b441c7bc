package dev.batchlane.provider.bedrock;

import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.KeyRedaction;
import dev.batchlane.core.provider.ProviderException;
import software.amazon.awssdk.services.bedrock.model.ModelInvocationJobStatus;

/** Bedrock's job status in the lane's words: the one place a Bedrock status word is read. */
final class BedrockStatus {
    private BedrockStatus() {}

    /**
     * Every Bedrock status in one place; a status this SDK does not know is an error, not a guess.
     */
    static BatchState stateOf(ModelInvocationJobStatus status, String batchId, String raw) {
        if (status == null) {
            throw new ProviderException(
                    "bedrock getModelInvocationJob " + batchId + ": no status",
                    200,
                    "unknown_status",
                    true,
                    null);
        }
        return switch (status) {
            case SUBMITTED, VALIDATING, SCHEDULED -> BatchState.PENDING;
            case IN_PROGRESS -> BatchState.RUNNING;
            case COMPLETED -> BatchState.COMPLETED;
            // The job's timeout closed its window with some records done: the lane's "expired".
            // Records not processed in time have no output line: the join calls them missing and
            // resubmits them.
            case PARTIALLY_COMPLETED -> BatchState.EXPIRED;
            case FAILED -> BatchState.FAILED;
            case STOPPING -> BatchState.CANCELLING;
            case STOPPED -> BatchState.CANCELLED;
            case EXPIRED -> BatchState.EXPIRED;
            case UNKNOWN_TO_SDK_VERSION ->
                    throw new ProviderException(
                            "bedrock getModelInvocationJob "
                                    + batchId
                                    + " has unknown status '"
                                    + KeyRedaction.redactKeys(raw)
                                    + "'",
                            200,
                            "unknown_status",
                            false,
                            null);
        };
    }
}
