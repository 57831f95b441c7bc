package dev.batchlane.core.lane;

import dev.batchlane.core.job.Shard;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/** The bucket's key layout, in one place. */
public final class Keys {
    public static final String INBOX = LaneNames.PREFIX_INBOX;

    private Keys() {
    }

    /** A drop under {@code inbox/<provider>/…}: the provider and the file's name without extension. */
    public record Drop(String provider, String name) {}

    public static Optional<Drop> parseInbox(String key) {
        if (!key.startsWith(INBOX)) {
            return Optional.empty();
        }
        String rest = key.substring(INBOX.length());
        int slash = rest.indexOf('/');
        if (slash <= 0 || slash == rest.length() - 1) {
            return Optional.empty();
        }
        String name = rest.substring(slash + 1);
        if (name.endsWith(LaneNames.INBOX_SUFFIX)) {
            name = name.substring(0, name.length() - LaneNames.INBOX_SUFFIX.length());
        }
        return Optional.of(new Drop(rest.substring(0, slash), name));
    }

    /**
     * The job id for one S3 object version: the same object delivered twice gives the same id, and
     * the conditional create of that id makes the second delivery a no-op.
     */
    public static String jobId(String bucket, String key, String versionOrEtag) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] digest = sha.digest((bucket + "\n" + key + "\n" + versionOrEtag).getBytes(StandardCharsets.UTF_8));
            return "job-" + HexFormat.of().formatHex(digest, 0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    }

    public static String staging(String jobId, int shardIndex) {
        return LaneNames.PREFIX_STAGING + jobId + "/shard-" + Shard.partName(shardIndex) + ".jsonl";
    }

    public static String part(String jobId, int shardIndex) {
        return LaneNames.PREFIX_RESULTS + jobId + "/part-" + Shard.partName(shardIndex) + ".jsonl";
    }

    /** One shard's final failures, in the input's own format; joined into failed.jsonl at the end. */
    public static String failedPart(String jobId, int shardIndex) {
        return LaneNames.PREFIX_STAGING + jobId + "/failed-" + Shard.partName(shardIndex) + ".jsonl";
    }

    public static String failed(String jobId) {
        return LaneNames.PREFIX_RESULTS + jobId + "/failed.jsonl";
    }

    public static String manifest(String jobId) {
        return LaneNames.PREFIX_RESULTS + jobId + "/manifest.json";
    }

    public static String rejectedReport(String name) {
        return LaneNames.PREFIX_REJECTED + name + "/report.json";
    }

    public static String rejectedErrors(String name) {
        return LaneNames.PREFIX_REJECTED + name + "/errors.jsonl";
    }
}
