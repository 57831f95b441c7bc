package dev.batchlane.simulator.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The HTTP face of the simulator: routes {@code /v1/files*} and {@code /v1/batches*}, checks the
 * bearer token, applies injected latency and call faults, and renders every error as OpenAI's
 * envelope. Each request is logged before its response is written, so a client that has seen a
 * response can rely on finding it in the log.
 */
final class ApiHandler implements HttpHandler {
    private static final Pattern BEARER = Pattern.compile("(?i)Bearer\\s+\\S.*");
    private static final int MAX_JSON_BODY = 1024 * 1024;

    private final Dialect dialect;
    private final FileStore files;
    private final BatchEngine batches;
    private final FaultPlan faults;
    private final ObjectMapper mapper;
    private final Consumer<RecordedRequest> log;
    private final AtomicInteger uploads;
    private final Supplier<Duration> retryAfter;

    ApiHandler(
            FileStore files,
            BatchEngine batches,
            FaultPlan faults,
            ObjectMapper mapper,
            Consumer<RecordedRequest> log,
            AtomicInteger uploads,
            Supplier<Duration> retryAfter) {
        this(Dialect.OPENAI, files, batches, faults, mapper, log, uploads, retryAfter);
    }

    ApiHandler(
            Dialect dialect,
            FileStore files,
            BatchEngine batches,
            FaultPlan faults,
            ObjectMapper mapper,
            Consumer<RecordedRequest> log,
            AtomicInteger uploads,
            Supplier<Duration> retryAfter) {
        this.dialect = dialect;
        this.files = files;
        this.batches = batches;
        this.faults = faults;
        this.mapper = mapper;
        this.log = log;
        this.uploads = uploads;
        this.retryAfter = retryAfter;
    }

    /** A matched route: the operation and the id in the path, if any. */
    record Route(Operation operation, String id) {
        static Route match(String method, String path) {
            return match(Dialect.OPENAI, method, path, null);
        }

        /**
         * The route under the dialect's prefix. Azure also serves its dated surface, {@code
         * /openai/...} without {@code v1}, where every call must carry {@code api-version};
         * Mistral's batches are {@code /batch/jobs}, and its {@code /batches} does not exist.
         */
        static Route match(Dialect dialect, String method, String path, String apiVersion) {
            String p =
                    path.length() > 1 && path.endsWith("/")
                            ? path.substring(0, path.length() - 1)
                            : path;
            String rest;
            if (p.startsWith(dialect.prefix() + "/")) {
                rest = p.substring(dialect.prefix().length() + 1);
            } else if (dialect == Dialect.AZURE
                    && p.startsWith("/openai/")
                    && apiVersion != null
                    && !apiVersion.isBlank()) {
                rest = p.substring("/openai/".length());
            } else {
                return null;
            }
            if (dialect == Dialect.MISTRAL) {
                if (rest.equals("batches") || rest.startsWith("batches/")) {
                    return null;
                }
                if (rest.equals("batch/jobs") || rest.startsWith("batch/jobs/")) {
                    rest = "batches" + rest.substring("batch/jobs".length());
                }
            }
            String[] s = rest.split("/", -1);
            boolean get = method.equals("GET");
            boolean post = method.equals("POST");
            Operation op = null;
            if (s.length == 1 && s[0].equals("files")) {
                op = post ? Operation.CREATE_FILE : get ? Operation.LIST_FILES : null;
            } else if (s.length == 1 && s[0].equals("batches")) {
                op = post ? Operation.CREATE_BATCH : get ? Operation.LIST_BATCHES : null;
            } else if (s.length == 2 && s[0].equals("files") && !s[1].isEmpty()) {
                op =
                        get
                                ? Operation.RETRIEVE_FILE
                                : method.equals("DELETE") ? Operation.DELETE_FILE : null;
            } else if (s.length == 2 && s[0].equals("batches") && !s[1].isEmpty()) {
                op = get ? Operation.RETRIEVE_BATCH : null;
            } else if (s.length == 3
                    && s[0].equals("files")
                    && !s[1].isEmpty()
                    && s[2].equals("content")) {
                op = get ? Operation.DOWNLOAD_FILE : null;
            } else if (s.length == 3
                    && s[0].equals("batches")
                    && !s[1].isEmpty()
                    && s[2].equals("cancel")) {
                op = post ? Operation.CANCEL_BATCH : null;
            }
            return op == null ? null : new Route(op, s.length > 1 ? s[1] : null);
        }
    }

    /** What to answer; chosen completely before anything is written. */
    private sealed interface Reply permits JsonReply, FileReply, ResetReply {
        int status();
    }

    /** No answer at all: the connection is closed before a byte of the response. */
    private record ResetReply() implements Reply {
        @Override
        public int status() {
            return 0;
        }
    }

    private record JsonReply(int status, byte[] body, Map<String, String> headers)
            implements Reply {}

    private record FileReply(Path path, long length) implements Reply {
        @Override
        public int status() {
            return 200;
        }
    }

    @Override
    public void handle(HttpExchange exchange) {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        Reply reply;
        try {
            sleep(faults.latency());
            reply = dispatch(exchange, method, path);
        } catch (ApiError e) {
            reply = error(e);
        } catch (Exception e) {
            reply =
                    error(
                            ApiError.of(
                                    500,
                                    "The server had an error while processing your request: " + e,
                                    null,
                                    null));
        }
        log.accept(new RecordedRequest(method, path, reply.status()));
        try {
            send(exchange, reply);
        } catch (IOException e) {
            // The client went away; nothing left to tell it.
        } finally {
            exchange.close();
        }
    }

    private Reply dispatch(HttpExchange exchange, String method, String path) throws IOException {
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        Route route = Route.match(dialect, method, path, query.get("api-version"));
        if (route == null) {
            throw ApiError.notFound(
                    dialect == Dialect.AZURE
                            ? "Resource not found"
                            : "Invalid URL (" + method + " " + path + ")",
                    null);
        }
        authenticate(exchange);
        FaultPlan.CallFault fault = faults.takeCallFault(route.operation()).orElse(null);
        if (fault != null) {
            return injected(fault);
        }
        LostAnswer lost = faults.takeLostAnswer(route.operation()).orElse(null);
        Reply done = perform(exchange, route);
        if (lost == null || done.status() / 100 != 2) {
            return done;
        }
        // The call took effect; its answer does not reach the client.
        return switch (lost) {
            case BAD_GATEWAY ->
                    new JsonReply(
                            502,
                            "<html><body><h1>502 Bad Gateway</h1></body></html>"
                                    .getBytes(StandardCharsets.UTF_8),
                            Map.of());
            case RESET -> new ResetReply();
            case TRUNCATED ->
                    new JsonReply(
                            200, "{\"id\": \"trunc".getBytes(StandardCharsets.UTF_8), Map.of());
        };
    }

    private Reply perform(HttpExchange exchange, Route route) throws IOException {
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        return switch (route.operation()) {
            case CREATE_FILE -> {
                StoredFile file =
                        files.upload(
                                exchange.getRequestBody(),
                                exchange.getRequestHeaders().getFirst("Content-Type"));
                uploads.incrementAndGet();
                yield json(200, Wire.file(file));
            }
            case LIST_FILES -> listFiles(query);
            case RETRIEVE_FILE -> json(200, Wire.file(file(route.id())));
            case DELETE_FILE -> {
                if (!files.delete(route.id())) {
                    throw noSuchFile(route.id());
                }
                yield json(200, Wire.deletedFile(route.id()));
            }
            case DOWNLOAD_FILE -> {
                StoredFile file = file(route.id());
                yield new FileReply(file.path(), file.bytes());
            }
            case CREATE_BATCH -> {
                JsonNode request = readJson(exchange);
                if (faults.takeFileNotReady()) {
                    // Right after an upload the file may not be readable yet; nothing is created.
                    throw ApiError.badRequest(
                            "The file "
                                    + request.path("input_file_id").asText("?")
                                    + " is still being processed and cannot be used yet. Please try again shortly.",
                            "input_file_id",
                            "file_not_ready");
                }
                if (dialect == Dialect.MISTRAL) {
                    yield json(200, render(batches.createJob(request)));
                }
                ObjectNode batch = render(batches.create(request));
                if (dialect == Dialect.TOGETHER) {
                    // Together answers a create with the job inside an envelope, next to an
                    // optional warning.
                    ObjectNode envelope = mapper.createObjectNode();
                    envelope.set("job", batch);
                    envelope.putNull("warning");
                    yield json(200, envelope);
                }
                yield json(200, batch);
            }
            case LIST_BATCHES -> listBatches(query);
            case RETRIEVE_BATCH -> json(200, render(batches.retrieve(route.id())));
            case CANCEL_BATCH -> json(200, render(batches.cancel(route.id())));
        };
    }

    private Reply listFiles(Map<String, String> query) {
        String purpose = query.get("purpose");
        int limit = intParam(query, "limit", 10_000, 1, 10_000);
        String order = query.getOrDefault("order", "desc");
        if (!order.equals("asc") && !order.equals("desc")) {
            throw ApiError.invalidValue(
                    "order", "Invalid value for 'order': '" + order + "'. Expected asc or desc.");
        }
        List<StoredFile> all =
                files.list().stream()
                        .filter(f -> purpose == null || f.purpose().equals(purpose))
                        .toList();
        if (order.equals("desc")) {
            all = new ArrayList<>(all);
            Collections.reverse(all);
        }
        Page<StoredFile> page = Page.of(all, StoredFile::id, query.get("after"), limit);
        return json(200, Wire.fileList(page.items(), page.hasMore()));
    }

    private Reply listBatches(Map<String, String> query) {
        if (dialect == Dialect.MISTRAL) {
            return listMistralJobs(query);
        }
        if (dialect == Dialect.TOGETHER) {
            // Together lists every batch of the account as a bare array, without paging.
            com.fasterxml.jackson.databind.node.ArrayNode all = mapper.createArrayNode();
            batches.list().forEach(b -> all.add(render(b)));
            return json(200, all);
        }
        int limit = intParam(query, "limit", 20, 1, 100);
        Page<BatchRecord> page = Page.of(batches.list(), b -> b.id, query.get("after"), limit);
        return json(
                200,
                Wire.batchList(
                        page.items().stream().map(ApiHandler::render).toList(), page.hasMore()));
    }

    /**
     * Mistral's {@code GET /v1/batch/jobs}: numbered pages ({@code page} from 0, {@code
     * page_size}), newest first, optionally only jobs created after {@code created_after} (a
     * date-time), as {@code {"object": "list", "data": [...], "total": n}}.
     */
    private Reply listMistralJobs(Map<String, String> query) {
        int page = intParam(query, "page", 0, 0, Integer.MAX_VALUE);
        int size = intParam(query, "page_size", 100, 1, 10_000);
        long after = Long.MIN_VALUE;
        String createdAfter = query.get("created_after");
        if (createdAfter != null) {
            try {
                after = java.time.OffsetDateTime.parse(createdAfter).toEpochSecond();
            } catch (java.time.format.DateTimeParseException e) {
                throw ApiError.invalidValue(
                        "created_after",
                        "Input should be a valid datetime, was '" + createdAfter + "'");
            }
        }
        long since = after;
        List<BatchRecord> all = batches.list().stream().filter(b -> b.createdAt > since).toList();
        int from = (int) Math.min((long) page * size, all.size());
        int to = Math.min(all.size(), from + size);
        ObjectNode node = mapper.createObjectNode();
        node.put("object", "list");
        com.fasterxml.jackson.databind.node.ArrayNode data = node.putArray("data");
        all.subList(from, to).forEach(b -> data.add(render(b)));
        node.put("total", all.size());
        return json(200, node);
    }

    /** One page of a cursor-paginated list: the items after the {@code after} id. */
    private record Page<T>(List<T> items, boolean hasMore) {
        static <T> Page<T> of(List<T> all, Function<T, String> id, String after, int limit) {
            int start = 0;
            if (after != null) {
                start = all.size();
                for (int i = 0; i < all.size(); i++) {
                    if (id.apply(all.get(i)).equals(after)) {
                        start = i + 1;
                        break;
                    }
                }
            }
            int end = Math.min(all.size(), start + limit);
            return new Page<>(List.copyOf(all.subList(start, end)), end < all.size());
        }
    }

    private static ObjectNode render(BatchRecord batch) {
        synchronized (batch) {
            return batch.dialect == Dialect.MISTRAL ? Wire.mistralJob(batch) : Wire.batch(batch);
        }
    }

    private StoredFile file(String id) {
        return files.get(id).orElseThrow(() -> noSuchFile(id));
    }

    private static ApiError noSuchFile(String id) {
        return ApiError.notFound("No such File object: " + id, "id");
    }

    private void authenticate(HttpExchange exchange) {
        if (dialect == Dialect.AZURE) {
            String key = exchange.getRequestHeaders().getFirst("api-key");
            String bearer = exchange.getRequestHeaders().getFirst("Authorization");
            if (key != null && !key.isBlank()) {
                return;
            }
            if (bearer == null || !BEARER.matcher(bearer).matches()) {
                throw new ApiError(
                        401,
                        "invalid_request_error",
                        "Access denied due to invalid subscription key or "
                                + "wrong API endpoint. Make sure to provide a valid key for an active subscription and use a "
                                + "correct regional API endpoint for your resource.",
                        null,
                        "401");
            }
            return;
        }
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || header.isBlank()) {
            throw new ApiError(
                    401,
                    "invalid_request_error",
                    "You didn't provide an API key. You need to provide "
                            + "your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer "
                            + "YOUR_KEY).",
                    null,
                    "invalid_api_key");
        }
        if (!BEARER.matcher(header).matches()) {
            throw new ApiError(
                    401,
                    "invalid_request_error",
                    "Incorrect API key provided: the Authorization "
                            + "header must have the form 'Bearer <key>'.",
                    null,
                    "invalid_api_key");
        }
    }

    private Reply injected(FaultPlan.CallFault fault) {
        if (fault.malformed()) {
            // Cut mid-document, as a proxy or a dropped connection would leave it.
            return new JsonReply(
                    200, "{\"id\": \"truncated".getBytes(StandardCharsets.UTF_8), Map.of());
        }
        ApiError error = ApiError.of(fault.status(), fault.message(), null, fault.code());
        JsonReply reply = error(error);
        if (fault.status() == 429) {
            Duration wait = retryAfter.get();
            Map<String, String> headers = new HashMap<>(reply.headers());
            headers.put("Retry-After", Long.toString((wait.toMillis() + 999) / 1000));
            headers.put("retry-after-ms", Long.toString(wait.toMillis()));
            return new JsonReply(reply.status(), reply.body(), headers);
        }
        return reply;
    }

    private JsonNode readJson(HttpExchange exchange) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(MAX_JSON_BODY + 1);
        }
        if (body.length > MAX_JSON_BODY) {
            throw ApiError.badRequest("The request body is too large.", null, null);
        }
        try {
            return mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest(
                    "We could not parse the JSON body of your request. (HINT: This likely means "
                            + "you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what "
                            + "was sent was not valid JSON.)",
                    null,
                    null);
        }
    }

    private static int intParam(
            Map<String, String> query, String name, int defaultValue, int min, int max) {
        String raw = query.get(name);
        if (raw == null) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(raw);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ApiError.invalidValue(
                name,
                "Invalid value for '"
                        + name
                        + "': '"
                        + raw
                        + "'. Expected an integer "
                        + "between "
                        + min
                        + " and "
                        + max
                        + ".");
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> params = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key =
                    URLDecoder.decode(
                            eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value =
                    eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.putIfAbsent(key, value);
        }
        return params;
    }

    private JsonReply json(int status, JsonNode body) {
        try {
            return new JsonReply(status, mapper.writeValueAsBytes(body), Map.of());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not render a response body", e);
        }
    }

    private JsonReply error(ApiError error) {
        return json(
                error.status,
                dialect == Dialect.MISTRAL ? Wire.mistralError(error) : Wire.error(error));
    }

    private static void send(HttpExchange exchange, Reply reply) throws IOException {
        exchange.getResponseHeaders().set("x-request-id", Ids.request());
        if (reply instanceof JsonReply r) {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            r.headers().forEach(exchange.getResponseHeaders()::set);
            exchange.sendResponseHeaders(r.status(), r.body().length == 0 ? -1 : r.body().length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(r.body());
            }
        } else if (reply instanceof ResetReply) {
            // Closing without a status line: the client sees its connection end with no answer.
            exchange.getRequestBody().close();
            throw new IOException("answer withheld: connection reset");
        } else if (reply instanceof FileReply r) {
            exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
            // A length of 0 would mean "chunked" to HttpServer; -1 means an empty body.
            exchange.sendResponseHeaders(200, r.length() == 0 ? -1 : r.length());
            try (OutputStream out = exchange.getResponseBody()) {
                Files.copy(r.path(), out);
            } catch (NoSuchFileException e) {
                // Deleted while being sent: the promised length cannot be met, so the connection is
                // cut and the client sees a truncated body.
            }
        }
    }

    private static void sleep(Duration latency) throws InterruptedException {
        if (!latency.isZero() && !latency.isNegative()) {
            try {
                Thread.sleep(latency.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw e;
            }
        }
    }
}
