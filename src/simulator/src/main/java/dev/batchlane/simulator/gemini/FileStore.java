package dev.batchlane.simulator.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The Files API: resumable uploads ({@code /upload/v1beta/files}), {@code files.get}, {@code
 * files.list}, {@code files.delete} and downloads of responses files.
 */
final class FileStore {
    private static final ObjectMapper JSON = new ObjectMapper();

    final Map<String, StoredFile> files = Collections.synchronizedMap(new LinkedHashMap<>());
    final Map<String, Upload> uploads = Collections.synchronizedMap(new HashMap<>());
    private final Path dir;
    private final Clock clock;
    private final FaultPlan faults;
    private final Wire wire;
    private final java.util.function.Supplier<String> baseUrl;

    FileStore(
            Path dir,
            Clock clock,
            FaultPlan faults,
            Wire wire,
            java.util.function.Supplier<String> baseUrl) {
        this.dir = dir;
        this.clock = clock;
        this.faults = faults;
        this.wire = wire;
        this.baseUrl = baseUrl;
    }

    int uploadStart(HttpExchange ex) throws IOException {
        var h = ex.getRequestHeaders();
        JsonNode body = Wire.readJson(ex);
        FaultPlan.CallFault fault = faults.takeFault("upload.start");
        if (fault != null && !fault.applied) {
            return wire.refuse(ex, fault, "upload.start");
        }
        if (!"resumable".equals(h.getFirst("X-Goog-Upload-Protocol"))
                || !"start".equals(h.getFirst("X-Goog-Upload-Command"))) {
            return wire.send(
                    ex,
                    400,
                    Wire.error(
                            400,
                            "INVALID_ARGUMENT",
                            "this endpoint takes X-Goog-Upload-Protocol: resumable "
                                    + "with X-Goog-Upload-Command: start"));
        }
        long declared;
        try {
            declared =
                    Long.parseLong(
                            String.valueOf(h.getFirst("X-Goog-Upload-Header-Content-Length")));
        } catch (NumberFormatException e) {
            return wire.send(
                    ex,
                    400,
                    Wire.error(
                            400,
                            "INVALID_ARGUMENT",
                            "X-Goog-Upload-Header-Content-Length is required"));
        }
        if (declared <= 0) {
            return wire.send(ex, 400, Wire.error(400, "INVALID_ARGUMENT", "the file is empty"));
        }
        if (declared > GeminiSimulator.MAX_FILE_BYTES) {
            return wire.send(
                    ex,
                    413,
                    Wire.error(413, "INVALID_ARGUMENT", "the file exceeds the 2 GB limit"));
        }
        if (body == null) {
            return wire.send(
                    ex,
                    400,
                    Wire.error(
                            400,
                            "INVALID_ARGUMENT",
                            "the body must be a CreateFileRequest JSON object"));
        }
        String invalid = wire.invalidRequest("CreateFileRequest", body);
        if (invalid != null) {
            return wire.send(ex, 400, Wire.error(400, "INVALID_ARGUMENT", invalid));
        }
        JsonNode file = body.path("file");
        String mime = h.getFirst("X-Goog-Upload-Header-Content-Type");
        String id = "upl" + UUID.randomUUID().toString().replace("-", "");
        uploads.put(
                id,
                new Upload(
                        id,
                        declared,
                        file.path("displayName").asText(file.path("display_name").asText(null)),
                        mime != null
                                ? mime
                                : file.path("mimeType").asText("application/octet-stream"),
                        dir.resolve(id + ".bin")));
        ex.getResponseHeaders()
                .add(
                        "x-goog-upload-url",
                        baseUrl.get()
                                + "/upload/v1beta/files?upload_id="
                                + id
                                + "&upload_protocol=resumable");
        ex.getResponseHeaders().add("x-goog-upload-status", "active");
        ex.getResponseHeaders()
                .add(
                        "x-goog-upload-chunk-granularity",
                        Integer.toString(GeminiSimulator.CHUNK_GRANULARITY));
        return wire.send(ex, 200, new byte[0]);
    }

    int uploadCommand(HttpExchange ex, String id) throws IOException {
        Upload u = uploads.get(id);
        if (u == null) {
            return wire.send(ex, 404, Wire.error(404, "NOT_FOUND", "no upload session " + id));
        }
        String command =
                String.valueOf(ex.getRequestHeaders().getFirst("X-Goog-Upload-Command"))
                        .toLowerCase(Locale.ROOT);
        Set<String> words = new HashSet<>();
        for (String w : command.split(",")) {
            words.add(w.trim());
        }
        synchronized (u) {
            if (words.contains("query")) {
                FaultPlan.CallFault fault = faults.takeFault("upload.query");
                if (fault != null) {
                    return wire.refuse(ex, fault, "upload.query");
                }
                ex.getResponseHeaders()
                        .add("x-goog-upload-size-received", Long.toString(u.received));
                if (u.finished != null) {
                    ex.getResponseHeaders().add("x-goog-upload-status", "final");
                    return wire.send(ex, 200, fileResponse(u.finished));
                }
                ex.getResponseHeaders().add("x-goog-upload-status", "active");
                return wire.send(ex, 200, new byte[0]);
            }
            if (!words.contains("upload") && !words.contains("finalize")) {
                return wire.send(
                        ex,
                        400,
                        Wire.error(
                                400,
                                "INVALID_ARGUMENT",
                                "X-Goog-Upload-Command must be upload, finalize "
                                        + "or query, was '"
                                        + command
                                        + "'"));
            }
            if (u.finished != null) {
                return wire.send(
                        ex,
                        400,
                        Wire.error(
                                400,
                                "FAILED_PRECONDITION",
                                "the upload " + id + " is already finalized"));
            }
            FaultPlan.CallFault fault = faults.takeFault("upload.chunk");
            if (fault != null && !fault.applied) {
                ex.getRequestBody().transferTo(OutputStream.nullOutputStream());
                return wire.refuse(ex, fault, "upload.chunk");
            }
            long offset;
            try {
                offset =
                        Long.parseLong(
                                String.valueOf(
                                        ex.getRequestHeaders().getFirst("X-Goog-Upload-Offset")));
            } catch (NumberFormatException e) {
                return wire.send(
                        ex,
                        400,
                        Wire.error(400, "INVALID_ARGUMENT", "X-Goog-Upload-Offset is required"));
            }
            if (offset != u.received) {
                ex.getResponseHeaders()
                        .add("x-goog-upload-size-received", Long.toString(u.received));
                return wire.send(
                        ex,
                        400,
                        Wire.error(
                                400,
                                "INVALID_ARGUMENT",
                                "X-Goog-Upload-Offset "
                                        + offset
                                        + " does not match the "
                                        + u.received
                                        + " bytes received"));
            }
            long n;
            try (InputStream in = ex.getRequestBody();
                    OutputStream out =
                            Files.newOutputStream(
                                    u.path, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                n = in.transferTo(out);
            }
            boolean finalize = words.contains("finalize");
            if (!finalize && n % GeminiSimulator.CHUNK_GRANULARITY != 0) {
                truncate(u);
                return wire.send(
                        ex,
                        400,
                        Wire.error(
                                400,
                                "INVALID_ARGUMENT",
                                "a chunk that does not finalize must be a multiple of "
                                        + GeminiSimulator.CHUNK_GRANULARITY
                                        + " bytes, was "
                                        + n));
            }
            if (u.received + n > u.declared) {
                truncate(u);
                return wire.send(
                        ex,
                        400,
                        Wire.error(
                                400,
                                "INVALID_ARGUMENT",
                                "the upload exceeds its declared length " + u.declared));
            }
            u.received += n;
            if (finalize) {
                if (u.received != u.declared) {
                    u.received -= n;
                    truncate(u);
                    return wire.send(
                            ex,
                            400,
                            Wire.error(
                                    400,
                                    "INVALID_ARGUMENT",
                                    "finalized with "
                                            + u.received
                                            + " bytes; X-Goog-Upload-Header-Content-Length declared "
                                            + u.declared));
                }
                String fileId = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
                StoredFile f =
                        new StoredFile(
                                fileId, u.displayName, u.mimeType, u.path, false, clock.instant());
                f.size = u.received;
                files.put(fileId, f);
                u.finished = f;
            }
            if (fault != null) {
                return wire.lose(
                        ex,
                        fault,
                        "upload.chunk",
                        finalize ? fileResponse(u.finished) : new byte[0]);
            }
            ex.getResponseHeaders().add("x-goog-upload-status", finalize ? "final" : "active");
            ex.getResponseHeaders().add("x-goog-upload-size-received", Long.toString(u.received));
            return wire.send(ex, 200, finalize ? fileResponse(u.finished) : new byte[0]);
        }
    }

    private static void truncate(Upload u) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(u.path, StandardOpenOption.WRITE)) {
            ch.truncate(u.received);
        }
    }

    byte[] fileResponse(StoredFile f) {
        ObjectNode n = JSON.createObjectNode();
        n.set("file", fileJson(f));
        return wire.conform("CreateFileResponse", n);
    }

    ObjectNode fileJson(StoredFile f) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", "files/" + f.id);
        if (f.displayName != null) {
            n.put("displayName", f.displayName);
        }
        n.put("mimeType", f.mimeType);
        n.put("sizeBytes", Long.toString(f.size));
        n.put("createTime", f.createdAt.toString());
        n.put("updateTime", f.createdAt.toString());
        n.put("expirationTime", f.createdAt.plus(Duration.ofHours(48)).toString());
        n.put("uri", baseUrl.get() + "/v1beta/files/" + f.id);
        if (f.generated) {
            n.put(
                    "downloadUri",
                    baseUrl.get() + "/download/v1beta/files/" + f.id + ":download?alt=media");
        }
        n.put("state", "ACTIVE");
        n.put("source", f.generated ? "GENERATED" : "UPLOADED");
        return n;
    }

    /**
     * {@code files.list}: the project's files newest first, {@code pageSize} (at most 100, default
     * 10) a page, paged with an opaque {@code pageToken}.
     */
    int listFiles(HttpExchange ex, Map<String, String> q) throws IOException {
        FaultPlan.CallFault fault = faults.takeFault("files.list");
        if (fault != null) {
            return wire.refuse(ex, fault, "files.list");
        }
        int size = 10;
        if (q.containsKey("pageSize")) {
            try {
                size = Math.max(1, Math.min(100, Integer.parseInt(q.get("pageSize"))));
            } catch (NumberFormatException e) {
                return wire.send(
                        ex,
                        400,
                        Wire.error(400, "INVALID_ARGUMENT", "pageSize must be an integer"));
            }
        }
        List<StoredFile> live;
        synchronized (files) {
            live = new ArrayList<>(files.values().stream().filter(f -> !f.deleted).toList());
        }
        live.sort(java.util.Comparator.comparing((StoredFile f) -> f.createdAt).reversed());
        int from = Wire.pageStart(q);
        if (from < 0) {
            return wire.send(ex, 400, Wire.error(400, "INVALID_ARGUMENT", "invalid page token"));
        }
        ObjectNode out = JSON.createObjectNode();
        ArrayNode list = out.putArray("files");
        for (int i = from; i < Math.min(live.size(), from + size); i++) {
            list.add(fileJson(live.get(i)));
        }
        if (from + size < live.size()) {
            out.put("nextPageToken", Wire.pageToken(from + size));
        }
        return wire.send(ex, 200, wire.conform("ListFilesResponse", out));
    }

    int file(HttpExchange ex, String method, String id) throws IOException {
        String operation = method.equals("DELETE") ? "files.delete" : "files.get";
        FaultPlan.CallFault fault = faults.takeFault(operation);
        if (fault != null && !fault.applied) {
            return wire.refuse(ex, fault, operation);
        }
        StoredFile f = files.get(id);
        if (f == null || f.deleted) {
            return wire.send(
                    ex,
                    403,
                    Wire.error(
                            403,
                            "PERMISSION_DENIED",
                            "You do not have permission to access the File "
                                    + id
                                    + " or it may not exist."));
        }
        if (method.equals("GET")) {
            return wire.send(ex, 200, wire.conform("File", fileJson(f)));
        }
        if (method.equals("DELETE")) {
            f.deleted = true;
            if (fault != null) {
                return wire.refuse(ex, fault, operation);
            }
            return wire.send(ex, 200, wire.conform("Empty", JSON.createObjectNode()));
        }
        return wire.send(
                ex, 405, Wire.error(405, "INVALID_ARGUMENT", method + " is not allowed on a file"));
    }

    int download(HttpExchange ex, String id, Map<String, String> q) throws IOException {
        FaultPlan.CallFault fault = faults.takeFault("download");
        if (fault != null) {
            return wire.refuse(ex, fault, "download");
        }
        if (!"media".equals(q.get("alt"))) {
            return wire.send(
                    ex, 400, Wire.error(400, "INVALID_ARGUMENT", "a download takes alt=media"));
        }
        StoredFile f = files.get(id);
        if (f == null || f.deleted) {
            return wire.send(
                    ex, 404, Wire.error(404, "NOT_FOUND", "File files/" + id + " not found."));
        }
        if (!f.generated) {
            return wire.send(
                    ex,
                    400,
                    Wire.error(
                            400,
                            "INVALID_ARGUMENT",
                            "Only generated files can be downloaded; files/"
                                    + id
                                    + " was uploaded"));
        }
        ex.getResponseHeaders().add("Content-Type", "application/jsonl");
        wire.record(ex, 200);
        ex.sendResponseHeaders(200, Files.size(f.path));
        try (OutputStream out = ex.getResponseBody()) {
            Files.copy(f.path, out);
        }
        return 200;
    }
}
