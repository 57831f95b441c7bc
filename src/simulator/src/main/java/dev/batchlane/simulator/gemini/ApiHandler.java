package dev.batchlane.simulator.gemini;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Routes each call by method and path, after the key check Google makes first. */
final class ApiHandler {
    private static final Pattern MODEL_PATH =
            Pattern.compile("^/v1beta/models/([^/:]+):batchGenerateContent$");
    private static final Pattern BATCH_PATH =
            Pattern.compile("^/v1beta/batches/([^/:]+)(:cancel)?$");
    private static final Pattern FILE_PATH = Pattern.compile("^/v1beta/files/([^/:]+)$");
    private static final Pattern DOWNLOAD_PATH =
            Pattern.compile("^/download/v1beta/files/([^/:]+):download$");

    private final String apiKey;
    private final FileStore files;
    private final BatchEngine batches;
    private final Wire wire;

    ApiHandler(String apiKey, FileStore files, BatchEngine batches, Wire wire) {
        this.apiKey = apiKey;
        this.files = files;
        this.batches = batches;
        this.wire = wire;
    }

    void handle(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getRawPath();
        // Not try-with-resources: its close would run before the catch, and the 500 would never be
        // sent.
        try {
            route(ex, method, path, Wire.query(ex.getRequestURI().getRawQuery()));
        } catch (Wire.ConnectionDropped e) {
            // The call took effect and was logged; the connection closes without an answer.
        } catch (RuntimeException | Error e) {
            System.err.println("gemini simulator: " + method + " " + path + " failed: " + e);
            wire.send(ex, 500, Wire.error(500, "INTERNAL", "simulator failure: " + e.getMessage()));
        } finally {
            ex.close();
        }
    }

    private int route(HttpExchange ex, String method, String path, Map<String, String> q)
            throws IOException {
        String key = ex.getRequestHeaders().getFirst("x-goog-api-key");
        if (key == null) {
            key = q.get("key");
        }
        if (key == null || key.isBlank()) {
            return wire.send(
                    ex,
                    403,
                    Wire.error(
                            403,
                            "PERMISSION_DENIED",
                            "Method doesn't allow unregistered callers "
                                    + "(callers without established identity). Please use API Key or other form of API consumer identity"));
        }
        if (apiKey != null && !apiKey.equals(key)) {
            return wire.send(
                    ex,
                    400,
                    Wire.error(
                            400,
                            "INVALID_ARGUMENT",
                            "API key not valid. Please pass a valid API key."));
        }
        if (path.equals("/upload/v1beta/files") && method.equals("POST")) {
            return q.containsKey("upload_id")
                    ? files.uploadCommand(ex, q.get("upload_id"))
                    : files.uploadStart(ex);
        }
        Matcher m;
        if ((m = MODEL_PATH.matcher(path)).matches() && method.equals("POST")) {
            return batches.create(ex, m.group(1));
        }
        if (path.equals("/v1beta/batches") && method.equals("GET")) {
            return batches.list(ex, q);
        }
        if ((m = BATCH_PATH.matcher(path)).matches()) {
            return batches.batch(ex, method, m.group(1), m.group(2) != null);
        }
        if (path.equals("/v1beta/files") && method.equals("GET")) {
            return files.listFiles(ex, q);
        }
        if ((m = FILE_PATH.matcher(path)).matches()) {
            return files.file(ex, method, m.group(1));
        }
        if ((m = DOWNLOAD_PATH.matcher(path)).matches() && method.equals("GET")) {
            return files.download(ex, m.group(1), q);
        }
        return wire.send(
                ex,
                404,
                Wire.error(
                        404,
                        "NOT_FOUND",
                        "The requested URL " + path + " was not found on this server."));
    }
}
