package dev.batchlane.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.http.Escape;
import dev.batchlane.http.MultipartUpload;
import dev.batchlane.http.ProviderHttp;
import java.lang.System.Logger.Level;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.util.Map;
import java.util.function.Consumer;

/**
 * OpenAI's wire as one vendor speaks it — the key header and {@code api-version} its {@link Vendor}
 * profile says — and the Files API on it: streamed upload, download of a result file line by line,
 * delete. {@link OpenAiProvider} and {@link MistralProvider} share it; the batch calls on top are
 * theirs.
 */
final class OpenAiFiles {
    private static final System.Logger LOG = System.getLogger(OpenAiFiles.class.getName());

    final ProviderHttp http;
    private final Vendor vendor;

    OpenAiFiles(Vendor vendor, OpenAiConfig config, HttpClient client) {
        this.vendor = vendor;
        String[] auth = vendor.authHeader(config.apiKey());
        // Every vendor's failures read "openai …": the wire, not the vendor, says how to read them.
        this.http =
                new ProviderHttp(
                        "openai",
                        client,
                        config.baseUrl(),
                        config.requestTimeout(),
                        Map.of(auth[0], auth[1]));
    }

    Vendor vendor() {
        return vendor;
    }

    /** A call to {@code path} under the base, with the vendor's api-version (if any). */
    HttpRequest.Builder request(String path) {
        String query =
                vendor.apiVersion() == null
                        ? ""
                        : (path.contains("?") ? "&" : "?")
                                + "api-version="
                                + Escape.query(vendor.apiVersion());
        return http.request(path + query);
    }

    JsonNode sendJson(String operation, HttpRequest request) {
        return http.sendJson(operation, request);
    }

    /**
     * {@code POST /files} as multipart/form-data, the payload streamed between the form's head and
     * tail. Inputs are given an expiry where the vendor wants one, so a file whose id was lost does
     * not sit in the project's storage.
     */
    String upload(Payload payload) {
        if (payload.size() <= 0) {
            throw new IllegalArgumentException(
                    "payload "
                            + payload.name()
                            + " is empty (size "
                            + payload.size()
                            + "); a batch input file must hold at least one request");
        }
        try (MultipartUpload form = new MultipartUpload().field("purpose", vendor.filePurpose())) {
            if (vendor.inputFileExpiry() != null) {
                form.field("expires_after[anchor]", "created_at")
                        .field(
                                "expires_after[seconds]",
                                Long.toString(vendor.inputFileExpiry().toSeconds()));
            }
            HttpRequest request =
                    request("files")
                            .header("Content-Type", form.contentType())
                            .POST(form.body("file", payload, "application/jsonl"))
                            .build();
            try {
                String fileId =
                        http.requiredText("createFile", http.sendJson("createFile", request), "id");
                LOG.log(
                        Level.DEBUG,
                        "uploaded {0} ({1} bytes) as file {2}",
                        payload.name(),
                        payload.size(),
                        fileId);
                return fileId;
            } catch (ProviderException e) {
                if (form.sizeMismatch() != null) {
                    // The stored shard and its record disagree; sending it again cannot change
                    // that.
                    throw http.notSent(
                            "createFile", "payload_size_mismatch", false, form.sizeMismatch(), e);
                }
                throw e;
            }
        }
    }

    /**
     * Streams one result file; each line is parsed and handed on alone (skipping as the layer
     * does).
     */
    void stream(String batchId, String fileId, Consumer<LineResult> sink) {
        http.streamLines(
                "downloadFile",
                request("files/" + Escape.segment(fileId) + "/content").GET().build(),
                "batch " + batchId + " file " + fileId,
                ResultLines::parseOrNull,
                sink);
    }

    /** Deletes a file; one already gone (404) is what cleanup wanted anyway. */
    void delete(String fileId) {
        try {
            http.sendJson(
                    "deleteFile", request("files/" + Escape.segment(fileId)).DELETE().build());
            LOG.log(Level.DEBUG, "deleted file {0}", fileId);
        } catch (ProviderException e) {
            if (e.statusCode() != 404) {
                throw e;
            }
            LOG.log(Level.DEBUG, "file {0} was already deleted", fileId);
        }
    }

    /**
     * Deletes an upload no batch was made from; a failure only leaves a file that expires by
     * itself.
     */
    void deleteQuietly(String fileId) {
        try {
            delete(fileId);
        } catch (RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    "could not delete uploaded file {0} after the batch was not created ({1}); "
                            + "it expires by itself",
                    fileId,
                    e instanceof ProviderException p
                            ? p.statusCode() + " " + p.code()
                            : e.getClass().getSimpleName());
        }
    }

    /** Deletes each given file, every one attempted (see {@link ProviderHttp#deleteEach}). */
    void deleteAll(String... fileIds) {
        ProviderHttp.deleteEach(this::delete, fileIds);
    }
}
