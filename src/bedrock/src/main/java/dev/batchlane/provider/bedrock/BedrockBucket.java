package dev.batchlane.provider.bedrock;

import static dev.batchlane.provider.bedrock.BedrockFailures.failure;

import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The lane's bucket as Bedrock sees it: where a shard's input copy goes, where a job's output
 * folder is, and how both are read and removed. Bedrock reads and writes S3 itself, so every key
 * the job calls name is made here, in one place.
 */
final class BedrockBucket {
    private final BedrockConfig config;
    private final S3Client s3;

    BedrockBucket(BedrockConfig config, S3Client s3) {
        this.config = config;
        this.s3 = s3;
    }

    /**
     * Puts the shard where Bedrock reads it: a server-side copy of the staged object when it is in
     * the bucket.
     */
    String upload(Payload payload) {
        String key = config.inputPrefix() + folderOf(payload.name()) + "/" + payload.name();
        try {
            if (payload.objectKey() != null) {
                s3.copyObject(
                        c ->
                                c.sourceBucket(config.bucket())
                                        .sourceKey(payload.objectKey())
                                        .destinationBucket(config.bucket())
                                        .destinationKey(key));
            } else {
                try (InputStream in = payload.open()) {
                    s3.putObject(
                            p ->
                                    p.bucket(config.bucket())
                                            .key(key)
                                            .contentType("application/jsonl"),
                            RequestBody.fromInputStream(in, payload.size()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "staged shard " + payload.name() + " could not be read", e);
        } catch (SdkException e) {
            throw failure("copy input to s3://" + config.bucket() + "/" + key, e);
        }
        return key;
    }

    /**
     * Reads at most {@code limit} records: enough to know whether a shard reaches the minimum,
     * never the whole file.
     */
    long countUpTo(String key, int limit) {
        try (InputStream in = open(key);
                BufferedReader reader =
                        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            long n = 0;
            String line;
            while (n < limit && (line = reader.readLine()) != null) {
                if (!line.isBlank()) {
                    n++;
                }
            }
            return n;
        } catch (IOException e) {
            throw ProviderException.notSent(
                    "bedrock read input " + key + " failed: io_error", "io_error", true, e);
        } catch (SdkException e) {
            throw failure("read input s3://" + config.bucket() + "/" + key, e);
        }
    }

    /**
     * The object's body; the caller closes it and translates the SDK's failure with the name of
     * what it was reading.
     */
    InputStream open(String key) {
        return s3.getObject(g -> g.bucket(config.bucket()).key(key));
    }

    /**
     * Deletes the input copy and everything under the job's output folder; gone already is fine.
     */
    void cleanup(String inputFileId, String outputFileId) {
        List<String> keys = new ArrayList<>();
        if (inputFileId != null) {
            keys.add(inputFileId);
        }
        if (outputFileId != null) {
            // The whole folder of the job name: Bedrock's <job id>/ and anything else it wrote
            // there.
            String folder =
                    outputFileId.startsWith(config.outputPrefix())
                            ? outputFileId.substring(
                                    0,
                                    outputFileId.indexOf('/', config.outputPrefix().length()) + 1)
                            : outputFileId;
            keys.addAll(list(folder));
        }
        for (String key : keys) {
            try {
                s3.deleteObject(d -> d.bucket(config.bucket()).key(key));
            } catch (SdkException e) {
                throw failure("delete s3://" + config.bucket() + "/" + key, e);
            }
        }
    }

    List<String> list(String prefix) {
        try {
            List<String> keys = new ArrayList<>();
            for (S3Object o :
                    s3.listObjectsV2Paginator(l -> l.bucket(config.bucket()).prefix(prefix))
                            .contents()) {
                keys.add(o.key());
            }
            return keys;
        } catch (SdkException e) {
            throw failure("list s3://" + config.bucket() + "/" + prefix, e);
        }
    }

    static String folderOf(String payloadName) {
        return payloadName.endsWith(".jsonl")
                ? payloadName.substring(0, payloadName.length() - 6)
                : payloadName;
    }

    String outputFolder(String jobName) {
        return config.outputPrefix() + jobName + "/";
    }

    String uri(String key) {
        return "s3://" + config.bucket() + "/" + key;
    }

    /** The key of an {@code s3://bucket/key} URI, as a folder (ending in a slash). */
    static String keyOf(String s3Uri) {
        String rest = s3Uri.substring("s3://".length());
        String key = rest.substring(rest.indexOf('/') + 1);
        return key.endsWith("/") ? key : key + "/";
    }
}
