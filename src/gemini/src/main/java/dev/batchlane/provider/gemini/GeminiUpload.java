package dev.batchlane.provider.gemini;

import static dev.batchlane.provider.gemini.GeminiProvider.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.http.Escape;
import dev.batchlane.http.Failures;
import dev.batchlane.http.ProviderHttp;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The Files API side of a shard: the resumable upload of its input, and, when an upload's answer
 * was lost, the files that upload may have made. Kept apart from the batches because an upload
 * resumes and is found by its own rules (offsets, display name and size), not a batch's.
 */
final class GeminiUpload {
    // Logged under the adapter's name, as before the split, so operators' filters still match.
    private static final System.Logger LOG = System.getLogger(GeminiProvider.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The Files API's limit on one file, as the discovery document's {@code mediaUpload.maxSize}
     * states it.
     */
    static final long MAX_UPLOAD_BYTES = 2_147_483_648L;

    /**
     * A chunk whose sending failed is resumed from what the server holds, this many times per
     * upload.
     */
    private static final int MAX_RESUMES = 3;

    private final GeminiConfig config;
    private final ProviderHttp http;

    GeminiUpload(GeminiConfig config, ProviderHttp http) {
        this.config = config;
        this.http = http;
    }

    /**
     * Starts a resumable upload session and sends the shard in chunks of {@link
     * GeminiConfig#uploadChunkBytes()}, the last one with {@code upload, finalize}. A chunk that
     * fails in transit (or with a 5xx) is not sent again blindly: the session is asked how many
     * bytes it holds ({@code query}) and the upload goes on from there, reopening the staged object
     * at that offset. A file left behind by an upload that failed for good expires at Google after
     * 48 hours.
     */
    String upload(Payload payload) {
        Objects.requireNonNull(payload, "payload");
        if (payload.size() <= 0) {
            throw new IllegalArgumentException(
                    "payload "
                            + payload.name()
                            + " is empty (size "
                            + payload.size()
                            + "); a batch input file must hold at least one request");
        }
        if (payload.size() > MAX_UPLOAD_BYTES) {
            throw ProviderException.notSent(
                    "gemini media.upload failed: 0 file_too_large: payload "
                            + payload.name()
                            + " is "
                            + payload.size()
                            + " bytes; the Files API takes at most "
                            + MAX_UPLOAD_BYTES,
                    "file_too_large",
                    false,
                    null);
        }
        ObjectNode body = JSON.createObjectNode();
        body.putObject("file")
                .put("displayName", payload.name())
                .put("mimeType", "application/jsonl");
        HttpRequest start =
                http.request("upload/v1beta/files")
                        .header("X-Goog-Upload-Protocol", "resumable")
                        .header("X-Goog-Upload-Command", "start")
                        .header(
                                "X-Goog-Upload-Header-Content-Length",
                                Long.toString(payload.size()))
                        .header("X-Goog-Upload-Header-Content-Type", "application/jsonl")
                        .header("Content-Type", "application/json")
                        .POST(ProviderHttp.json(body))
                        .build();
        HttpResponse<InputStream> started = http.open("media.upload", start);
        String session;
        try (InputStream in = started.body()) {
            session = started.headers().firstValue("x-goog-upload-url").orElse(null);
        } catch (IOException e) {
            throw Failures.transport("gemini", "media.upload", e);
        }
        if (session == null || session.isBlank()) {
            throw http.malformed(
                    "media.upload",
                    started.statusCode(),
                    "the start of the upload gave no x-goog-upload-url",
                    null);
        }
        checkSameOrigin(session, started.statusCode());
        String fileName = sendChunks(session, payload);
        LOG.log(
                Level.DEBUG,
                "uploaded {0} ({1} bytes) as {2}",
                payload.name(),
                payload.size(),
                fileName);
        return fileName;
    }

    private String sendChunks(String session, Payload payload) {
        long size = payload.size();
        byte[] buffer = new byte[(int) Math.min(config.uploadChunkBytes(), size)];
        long offset = 0;
        int resumes = 0;
        InputStream in = null;
        try {
            in = payload.open();
            while (true) {
                int want = (int) Math.min(buffer.length, size - offset);
                int n = in.readNBytes(buffer, 0, want);
                boolean last = offset + n == size;
                if (n < want) {
                    throw sizeMismatch(
                            payload,
                            "holds " + (offset + n) + " bytes, fewer than its declared " + size);
                }
                if (last && in.read() >= 0) {
                    throw sizeMismatch(payload, "holds more than its declared " + size + " bytes");
                }
                HttpRequest chunk =
                        http.requestTo(URI.create(session))
                                .header(
                                        "X-Goog-Upload-Command",
                                        last ? "upload, finalize" : "upload")
                                .header("X-Goog-Upload-Offset", Long.toString(offset))
                                .POST(BodyPublishers.ofByteArray(buffer, 0, n))
                                .build();
                try {
                    JsonNode answer = sendChunk(chunk, last);
                    if (last) {
                        return fileNameOf(answer);
                    }
                    offset += n;
                } catch (ProviderException e) {
                    if (!(e.statusCode() == 0 || e.statusCode() >= 500)
                            || ++resumes > MAX_RESUMES) {
                        throw e;
                    }
                    Received held = query(session);
                    if (held.file() != null) {
                        return fileNameOf(held.file());
                    }
                    LOG.log(
                            Level.INFO,
                            "upload of {0}: chunk at {1} failed ({2}); resuming at byte {3}",
                            payload.name(),
                            offset,
                            e.code(),
                            held.bytes());
                    in.close();
                    in = payload.open();
                    in.skipNBytes(held.bytes());
                    offset = held.bytes();
                }
            }
        } catch (IOException e) {
            throw ProviderException.notSent(
                    "gemini media.upload failed: 0 payload_unreadable: staged shard "
                            + payload.name()
                            + " could not be read: "
                            + e.getMessage(),
                    "payload_unreadable",
                    true,
                    e);
        } finally {
            if (in != null) {
                try {
                    in.close();
                } catch (IOException e) {
                    // releasing the source only; the upload's outcome is decided
                }
            }
        }
    }

    /**
     * Sends one chunk; a non-final chunk answers with status {@code active}, the final one with the
     * File.
     */
    private JsonNode sendChunk(HttpRequest chunk, boolean last) {
        HttpResponse<InputStream> response = http.open("media.upload", chunk);
        String status = response.headers().firstValue("x-goog-upload-status").orElse("");
        if (last) {
            return http.readObject("media.upload", response);
        }
        try (InputStream in = response.body()) {
            in.readNBytes(ProviderHttp.MAX_ERROR_RESPONSE);
        } catch (IOException e) {
            throw Failures.transport("gemini", "media.upload", e);
        }
        if (!status.equals("active")) {
            throw http.malformed(
                    "media.upload",
                    response.statusCode(),
                    "a chunk was answered with upload status '" + status + "', not active",
                    null);
        }
        return null;
    }

    private record Received(long bytes, JsonNode file) {}

    /** Asks the upload session what it holds: a byte count, or the finished File if it is final. */
    private Received query(String session) {
        HttpResponse<InputStream> response =
                http.open(
                        "media.upload",
                        http.requestTo(URI.create(session))
                                .header("X-Goog-Upload-Command", "query")
                                .POST(BodyPublishers.noBody())
                                .build());
        String status = response.headers().firstValue("x-goog-upload-status").orElse("");
        if (status.equals("final")) {
            return new Received(-1, http.readObject("media.upload", response));
        }
        try (InputStream in = response.body()) {
            in.readNBytes(ProviderHttp.MAX_ERROR_RESPONSE);
        } catch (IOException e) {
            throw Failures.transport("gemini", "media.upload", e);
        }
        String received = response.headers().firstValue("x-goog-upload-size-received").orElse(null);
        if (received == null || !status.equals("active")) {
            throw http.malformed(
                    "media.upload",
                    response.statusCode(),
                    "the upload session's status is '" + status + "'",
                    null);
        }
        try {
            return new Received(Long.parseLong(received.trim()), null);
        } catch (NumberFormatException e) {
            throw http.malformed(
                    "media.upload",
                    response.statusCode(),
                    "x-goog-upload-size-received is not a number",
                    e);
        }
    }

    private static String fileNameOf(JsonNode answer) {
        String name = text(answer.path("file").get("name"));
        if (name == null || !GeminiNames.FILE_NAME.matcher(name).matches()) {
            throw Failures.malformed(
                    "gemini", "media.upload", 200, "the finished upload names no file", null);
        }
        return name;
    }

    /**
     * The session URL an answer names gets every chunk, and every chunk carries the API key: it
     * must be on the API's own origin (scheme, host and port of the base URL), or a proxy or a
     * forged answer could collect the key.
     */
    private void checkSameOrigin(String session, int status) {
        URI base = config.baseUrl();
        URI target;
        try {
            target = URI.create(session);
        } catch (IllegalArgumentException e) {
            throw http.malformed(
                    "media.upload", status, "the upload URL is not a URL; nothing sent to it", e);
        }
        boolean same =
                target.getHost() != null
                        && target.getHost().equalsIgnoreCase(base.getHost())
                        && String.valueOf(target.getScheme()).equalsIgnoreCase(base.getScheme())
                        && port(target) == port(base);
        if (!same) {
            throw http.malformed(
                    "media.upload",
                    status,
                    "the upload URL names "
                            + target.getScheme()
                            + "://"
                            + target.getHost()
                            + (target.getPort() >= 0 ? ":" + target.getPort() : "")
                            + ", not the API's own "
                            + base.getScheme()
                            + "://"
                            + base.getHost()
                            + (base.getPort() >= 0 ? ":" + base.getPort() : "")
                            + "; the key is not sent there",
                    null);
        }
    }

    private static int port(URI u) {
        if (u.getPort() >= 0) {
            return u.getPort();
        }
        return "http".equalsIgnoreCase(u.getScheme()) ? 80 : 443;
    }

    private static ProviderException sizeMismatch(Payload payload, String detail) {
        // The stored shard and its record disagree; sending it again cannot change that.
        return ProviderException.notSent(
                "gemini media.upload failed: 0 payload_size_mismatch: payload "
                        + payload.name()
                        + " "
                        + detail,
                "payload_size_mismatch",
                false,
                null);
    }

    /**
     * Files whose display name is the shard's file name and whose size is the shard's, created
     * since {@code since}, oldest listing first: what an upload whose answer was lost may have
     * made.
     */
    List<String> uploadsSince(Payload payload, Instant since) {
        List<String> uploads = new ArrayList<>();
        String token = null;
        do {
            String path =
                    "v1beta/files?pageSize="
                            + GeminiNames.LIST_PAGE_SIZE
                            + (token == null ? "" : "&pageToken=" + Escape.query(token));
            JsonNode page = http.sendJson("files.list", http.request(path).GET().build());
            for (JsonNode f : page.path("files")) {
                Instant created = createTime(f);
                if (payload.name().equals(text(f.get("displayName")))
                        && Long.toString(payload.size()).equals(text(f.get("sizeBytes")))
                        && created != null
                        && !created.isBefore(since)) {
                    uploads.add(text(f.get("name")));
                }
            }
            token = text(page.get("nextPageToken"));
        } while (token != null && !token.isEmpty());
        return uploads;
    }

    private static Instant createTime(JsonNode file) {
        String t = text(file.get("createTime"));
        try {
            return t == null ? null : Instant.parse(t);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
