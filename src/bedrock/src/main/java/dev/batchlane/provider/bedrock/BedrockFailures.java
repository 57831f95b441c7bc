package dev.batchlane.provider.bedrock;

import static dev.batchlane.core.provider.KeyRedaction.redactKeys;

import dev.batchlane.core.provider.ProviderException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * One translation of AWS SDK failures into the core's exception, shared by the job calls, the
 * bucket and the on-demand run so a throttled S3 read and a throttled Bedrock call are retried
 * alike. The service's text is quoted with its key-shaped words redacted: a signing error can quote
 * the credential, and the message goes on into a shard's trouble, the manifest and logs.
 */
final class BedrockFailures {
    private BedrockFailures() {}

    /**
     * An SDK failure as the core's exception; retryable when AWS says throttled, over quota or
     * broken.
     */
    static ProviderException failure(String operation, SdkException e) {
        if (e instanceof AwsServiceException a) {
            int status = a.statusCode();
            String code = a.awsErrorDetails() == null ? null : a.awsErrorDetails().errorCode();
            boolean retryable =
                    a.isThrottlingException()
                            || status == 429
                            || status >= 500
                            || "ServiceQuotaExceededException".equals(code);
            String message =
                    redactKeys(
                            a.awsErrorDetails() == null
                                    ? a.getMessage()
                                    : a.awsErrorDetails().errorMessage());
            return new ProviderException(
                    "bedrock "
                            + operation
                            + " failed: "
                            + status
                            + " "
                            + code
                            + ": "
                            + (message != null && message.length() > 300
                                    ? message.substring(0, 300) + "…"
                                    : message),
                    status,
                    code,
                    retryable,
                    e);
        }
        boolean retryable = e instanceof SdkClientException;
        return new ProviderException(
                "bedrock "
                        + operation
                        + " failed: 0 "
                        + e.getClass().getSimpleName()
                        + ": "
                        + redactKeys(e.getMessage()),
                0,
                "io_error",
                retryable,
                e);
    }
}
