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

    /**
     * An object {@code resume/<jobId>} asks ingest to resume that job (see IngestService#resume).
     */
    public static final String RESUME = LaneNames.PREFIX_RESUME;

    /**
     * An object {@code redrive/<jobId>} asks for that job's completion work to be handed over
     * again.
     */
    public static final String REDRIVE = LaneNames.PREFIX_REDRIVE;

    private Keys() {}

    /**
     * A drop under {@code inbox/<provider>/…}: the provider and the file's name without extension.
     */
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
            byte[] digest =
                    sha.digest(
                            (bucket + "\n" + key + "\n" + versionOrEtag)
                                    .getBytes(StandardCharsets.UTF_8));
            return "job-" + HexFormat.of().formatHex(digest, 0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    }

    /** The job id an object {@code <prefix><jobId>} names, for the control prefixes above. */
    public static Optional<String> jobIdUnder(String prefix, String key) {
        if (!key.startsWith(prefix)
                || key.length() == prefix.length()
                || key.indexOf('/', prefix.length()) >= 0) {
            return Optional.empty();
        }
        return Optional.of(key.substring(prefix.length()));
    }

    public static String staging(String jobId, int shardIndex) {
        return LaneNames.PREFIX_STAGING + jobId + "/shard-" + Shard.partName(shardIndex) + ".jsonl";
    }

    /** A shard staged by one ingest attempt: attempts never share a file (see IngestService). */
    public static String staging(String jobId, String attempt, int shardIndex) {
        return "staging/"
                + jobId
                + "/"
                + attempt
                + "/shard-"
                + Shard.partName(shardIndex)
                + ".jsonl";
    }

    public static String part(String jobId, int shardIndex) {
        return LaneNames.PREFIX_RESULTS + jobId + "/part-" + Shard.partName(shardIndex) + ".jsonl";
    }

    /**
     * One shard's final failures, in the input's own format; joined into failed.jsonl at the end.
     */
    public static String failedPart(String jobId, int shardIndex) {
        return LaneNames.PREFIX_STAGING
                + jobId
                + "/failed-"
                + Shard.partName(shardIndex)
                + ".jsonl";
    }

    public static String failed(String jobId) {
        return LaneNames.PREFIX_RESULTS + jobId + "/failed.jsonl";
    }

    public static String manifest(String jobId) {
        return LaneNames.PREFIX_RESULTS + jobId + "/manifest.json";
    }

    /**
     * Where a rejected drop's report and error list go: under its provider, its name and its job.
     * The job id is derived from the object's bucket, key and version, so the same file name under
     * two providers, or two versions of one key, each keep their own report.
     */
    public static String rejected(String provider, String name, String jobId) {
        return LaneNames.PREFIX_REJECTED + provider + "/" + name + "/" + jobId + "/";
    }

    public static String rejectedReport(String provider, String name, String jobId) {
        return rejected(provider, name, jobId) + "report.json";
    }

    public static String rejectedErrors(String provider, String name, String jobId) {
        return rejected(provider, name, jobId) + "errors.jsonl";
    }
}
