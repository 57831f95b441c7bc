package dev.batchlane.provider.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.core.provider.KeyRedaction;
import dev.batchlane.core.provider.ProviderException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * What an on-demand run keeps in S3, so that no step holds state of its own: the shard's input, and
 * in the run's output folder each record's marker ({@code record-<n>.started}, written only if
 * absent), each record's line ({@code record-<n>.jsonl.out}), the cancel marker and, at the end,
 * {@code manifest.json.out}. A step reads the folder once, at its start, as a {@link Listing}.
 */
final class OnDemandFolder {
    // Logged under the run's name, as before the split, so operators' filters still match.
    private static final System.Logger LOG = System.getLogger(OnDemandRun.class.getName());

    static final String CANCEL_MARKER = "cancel-requested";

    private final BedrockConfig config;
    private final S3Client s3;

    OnDemandFolder(BedrockConfig config, S3Client s3) {
        this.config = config;
        this.s3 = s3;
    }

    /**
     * What the folder held when a step started: the lines written so far by record index, the
     * records claimed, and whether a cancel was asked for.
     */
    record Listing(Map<Integer, JsonNode> outcomes, Set<Integer> started, boolean cancelled) {}

    Listing list(String folder) {
        Map<Integer, JsonNode> outcomes = new TreeMap<>();
        Set<Integer> started = new HashSet<>();
        boolean cancelled = false;
        for (S3Object o :
                s3.listObjectsV2Paginator(l -> l.bucket(config.bucket()).prefix(folder))
                        .contents()) {
            String name = o.key().substring(folder.length());
            if (name.equals(CANCEL_MARKER)) {
                cancelled = true;
            } else if (name.startsWith("record-") && name.endsWith(".started")) {
                started.add(indexOf(name, ".started"));
            } else if (name.startsWith("record-") && name.endsWith(".jsonl.out")) {
                for (String line : readLines(o.key())) {
                    if (!line.isBlank()) {
                        outcomes.put(indexOf(name, ".jsonl.out"), readTree(line));
                    }
                }
            } else if (name.startsWith("records-") && name.endsWith(".jsonl.out")) {
                int i = Integer.parseInt(name.substring(8, name.length() - 10));
                for (String line : readLines(o.key())) {
                    if (!line.isBlank()) {
                        outcomes.put(i++, readTree(line));
                    }
                }
            }
        }
        return new Listing(outcomes, started, cancelled);
    }

    String outputFolder(String inputKey) {
        String rest = inputKey.substring(config.inputPrefix().length());
        return config.outputPrefix() + rest.substring(0, rest.indexOf('/')) + "/ondemand/";
    }

    /** Writes record {@code index}'s line, the record's one and final outcome. */
    void writeLine(String folder, int index, JsonNode line) {
        put(lineKey(folder, index), line + "\n");
    }

    void writeManifest(String folder, JsonNode manifest) {
        put(folder + "manifest.json.out", manifest.toString());
    }

    void requestCancel(String folder) {
        put(folder + CANCEL_MARKER, "");
    }

    boolean cancelRequested(String folder) {
        return exists(folder + CANCEL_MARKER);
    }

    /**
     * Writes record {@code index}'s marker only if none is there: S3's conditional create decides
     * between two steps that reach the same record at once, so only one of them invokes it. False
     * when another step's marker is there (412) or being written (409).
     */
    boolean claim(String folder, int index) {
        String key = markerKey(folder, index);
        try {
            s3.putObject(
                    p -> p.bucket(config.bucket()).key(key).ifNoneMatch("*"),
                    RequestBody.fromString("", StandardCharsets.UTF_8));
            return true;
        } catch (AwsServiceException e) {
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                return false;
            }
            throw BedrockFailures.failure("on-demand write " + key, e);
        } catch (SdkException e) {
            throw BedrockFailures.failure("on-demand write " + key, e);
        }
    }

    /** Deletes record {@code index}'s marker, so a later poll invokes the record. */
    void release(String folder, int index) {
        delete(markerKey(folder, index));
    }

    List<String> readInput(String key) {
        List<String> lines = new ArrayList<>();
        for (String line : readLines(key)) {
            if (!line.isBlank()) {
                lines.add(line);
            }
        }
        return lines;
    }

    static JsonNode readTree(String line) {
        try {
            return BedrockProvider.JSON.readTree(line);
        } catch (IOException e) {
            throw new IllegalStateException("an on-demand line is not JSON: " + e.getMessage(), e);
        }
    }

    private static String lineKey(String folder, int index) {
        return folder + String.format("record-%06d.jsonl.out", index);
    }

    private static String markerKey(String folder, int index) {
        return folder + String.format("record-%06d.started", index);
    }

    private static int indexOf(String name, String suffix) {
        return Integer.parseInt(
                name.substring("record-".length(), name.length() - suffix.length()));
    }

    /** Whole objects, small by construction: fewer records than a batch job's minimum. */
    private List<String> readLines(String key) {
        try (InputStream in = s3.getObject(g -> g.bucket(config.bucket()).key(key));
                BufferedReader reader =
                        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            return reader.lines().toList();
        } catch (IOException e) {
            throw new ProviderException(
                    "bedrock on-demand read " + key + " failed: io_error", 0, "io_error", true, e);
        } catch (SdkException e) {
            throw BedrockFailures.failure("on-demand read " + key, e);
        }
    }

    private void put(String key, String body) {
        try {
            s3.putObject(
                    p -> p.bucket(config.bucket()).key(key).contentType("application/jsonl"),
                    RequestBody.fromString(body, StandardCharsets.UTF_8));
        } catch (SdkException e) {
            throw BedrockFailures.failure("on-demand write " + key, e);
        }
    }

    /**
     * Whether {@code key} exists, asked as a listing of that very prefix rather than a HEAD: the
     * deployed role may list the output prefix, and a HEAD of a missing key without an
     * unconditioned s3:ListBucket is answered 403, not 404, by S3.
     */
    private boolean exists(String key) {
        try {
            return s3
                    .listObjectsV2(l -> l.bucket(config.bucket()).prefix(key).maxKeys(1))
                    .contents()
                    .stream()
                    .anyMatch(o -> o.key().equals(key));
        } catch (SdkException e) {
            throw BedrockFailures.failure("on-demand read " + key, e);
        }
    }

    private void delete(String key) {
        try {
            s3.deleteObject(d -> d.bucket(config.bucket()).key(key));
        } catch (SdkException e) {
            // Left in place, the marker makes the record's outcome unknown: never a second call.
            LOG.log(
                    Level.WARNING,
                    "on-demand run: deleting {0} failed: {1}",
                    key,
                    KeyRedaction.redactKeys(e.getMessage()));
        }
    }
}
