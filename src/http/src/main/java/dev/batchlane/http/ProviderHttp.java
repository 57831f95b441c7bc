package dev.batchlane.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.ProviderException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One provider's HTTP calls on the JDK client: every request goes under its base URL with its
 * headers (the key, a version) and timeout, and every failure becomes a {@link ProviderException}
 * the same way ({@link Failures}): a non-2xx answer through the one error envelope with the wait
 * the provider asked for ({@link RetryAfter}), no answer as a retryable transport failure, a 2xx
 * that is not the JSON object promised as a retryable {@code malformed_response}.
 *
 * <p>Answers are read under caps, so something other than the API answering (a proxy's page, a
 * runaway stream) cannot fill the heap. Logs carry ids and counts only, never request or response
 * text nor the headers.
 */
public final class ProviderHttp {
    private static final System.Logger LOG = System.getLogger(ProviderHttp.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Far above any batch or file object of the APIs spoken (a batch with its full error list is
     * well under 1 MB), so reaching it means something other than the API answered.
     */
    public static final int MAX_JSON_RESPONSE = 8 * 1024 * 1024;

    /**
     * An error envelope is small; anything longer is an HTML page from a proxy, not worth holding.
     */
    public static final int MAX_ERROR_RESPONSE = 64 * 1024;

    private static final int READ_BUFFER = 64 * 1024;

    private final String provider;
    private final HttpClient client;
    private final String base;
    private final Duration timeout;
    private final Map<String, String> headers;
    private final Clock clock;

    /**
     * @param provider the name failures start with ({@code "openai createBatch failed: …"})
     * @param headers sent on every call, in this order (the key, a version)
     * @param clock read only to turn a Retry-After date into a wait
     */
    public ProviderHttp(
            String provider,
            HttpClient client,
            URI baseUrl,
            Duration timeout,
            Map<String, String> headers,
            Clock clock) {
        this.provider = Objects.requireNonNull(provider, "provider");
        this.client = Objects.requireNonNull(client, "client");
        this.base = baseUrl.toString().replaceAll("/+$", "");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.headers = new LinkedHashMap<>(headers);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public ProviderHttp(
            String provider,
            HttpClient client,
            URI baseUrl,
            Duration timeout,
            Map<String, String> headers) {
        this(provider, client, baseUrl, timeout, headers, Clock.systemUTC());
    }

    public String provider() {
        return provider;
    }

    /**
     * A call to {@code path} (with its query, if any) under the base URL; escape ids with {@link
     * Escape}.
     */
    public HttpRequest.Builder request(String path) {
        return requestTo(URI.create(base + "/" + path));
    }

    /**
     * A call to a URL the provider handed out (an upload session, say), with the same headers and
     * timeout.
     */
    public HttpRequest.Builder requestTo(URI uri) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(timeout);
        headers.forEach(builder::header);
        return builder;
    }

    /** Sends a call whose answer is one JSON object, and returns that object or throws. */
    public JsonNode sendJson(String operation, HttpRequest request) {
        HttpResponse<InputStream> response = open(operation, request);
        return readObject(operation, response);
    }

    /**
     * Sends a call and returns its 2xx answer unread, for the caller to read its headers or stream
     * its body (and close it). Any other answer has been read, closed and thrown as a failure.
     */
    public HttpResponse<InputStream> open(String operation, HttpRequest request) {
        HttpResponse<InputStream> response;
        try {
            response = client.send(request, BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw Failures.transport(provider, operation, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Failures.interrupted(provider, operation, e);
        }
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return response;
        }
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readNBytes(MAX_ERROR_RESPONSE);
        } catch (IOException e) {
            body = new byte[0];
        }
        ProviderException e = Failures.status(provider, operation, status, body);
        throw RetryAfter.of(response.headers(), clock.instant())
                .map(
                        wait ->
                                new ProviderException(
                                        e.getMessage(),
                                        e.statusCode(),
                                        e.code(),
                                        e.retryable(),
                                        wait,
                                        e.getCause()))
                .orElse(e);
    }

    /** Reads an opened answer as one JSON object, under {@link #MAX_JSON_RESPONSE}. */
    public JsonNode readObject(String operation, HttpResponse<InputStream> response) {
        int status = response.statusCode();
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readNBytes(MAX_JSON_RESPONSE + 1);
        } catch (IOException e) {
            throw Failures.transport(provider, operation, e);
        }
        if (body.length > MAX_JSON_RESPONSE) {
            throw Failures.of(
                    provider,
                    operation,
                    status,
                    "response_too_large",
                    false,
                    "the answer exceeded " + MAX_JSON_RESPONSE + " bytes",
                    null);
        }
        try {
            JsonNode node = JSON.readTree(body);
            if (node != null && node.isObject()) {
                return node;
            }
            throw Failures.malformed(
                    provider, operation, status, "the answer was not a complete JSON object", null);
        } catch (IOException e) {
            throw Failures.malformed(
                    provider, operation, status, "the answer was not a complete JSON object", e);
        }
    }

    /**
     * Streams a results file line by line, handing each parsed line on alone. A blank line is
     * passed over. A line {@code parse} cannot read (it returns null: not JSON, no id, no result)
     * is skipped and logged by its number, never its text (a model's answer): one garbled line must
     * not hold back every other result, and its request is joined as having no result, which the
     * batch's own counts then decide on. This is the one rule for every provider
     * (docs/providers.md).
     *
     * @param what names the file in logs (a batch and file id)
     * @return the number of lines skipped
     */
    public long streamLines(
            String operation,
            HttpRequest request,
            String what,
            Function<String, LineResult> parse,
            Consumer<LineResult> sink) {
        HttpResponse<InputStream> response = open(operation, request);
        long lines = 0;
        long skipped = 0;
        try (InputStream in = response.body()) {
            BufferedReader reader =
                    new BufferedReader(
                            new InputStreamReader(in, StandardCharsets.UTF_8), READ_BUFFER);
            long number = 0;
            String line;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                LineResult result = parse.apply(line);
                if (result == null) {
                    skipped++;
                    LOG.log(
                            Level.WARNING,
                            "{0} {1} line {2} is not a result line; skipped",
                            provider,
                            what,
                            number);
                    continue;
                }
                lines++;
                sink.accept(result);
            }
        } catch (IOException e) {
            throw Failures.transport(provider, operation, e);
        }
        LOG.log(
                Level.DEBUG,
                "{0} {1}: {2} result line(s), {3} skipped",
                provider,
                what,
                lines,
                skipped);
        return skipped;
    }

    /**
     * Runs {@code delete} on each handle that is not null. Every one is attempted even when one
     * fails, so one stubborn file does not leave the others behind; the first failure is thrown
     * afterwards with the rest suppressed.
     */
    public static void deleteEach(Consumer<String> delete, String... handles) {
        ProviderException first = null;
        for (String handle : handles) {
            if (handle == null) {
                continue;
            }
            try {
                delete.accept(handle);
            } catch (ProviderException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** A JSON tree as a request body. */
    public static HttpRequest.BodyPublisher json(JsonNode body) {
        try {
            return HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("a tree of strings always serialises", e);
        }
    }

    /** The text of a field, or null when it is missing, not text or empty. */
    public static String optionalText(JsonNode node, String field) {
        String value = Failures.text(node.get(field));
        return value == null || value.isEmpty() ? null : value;
    }

    /** The text of a field the API promises; its absence is a {@code malformed_response}. */
    public String requiredText(String operation, JsonNode node, String field) {
        String value = optionalText(node, field);
        if (value == null) {
            throw Failures.malformed(provider, operation, 200, "the answer has no " + field, null);
        }
        return value;
    }

    public ProviderException failure(
            String operation,
            int status,
            String code,
            boolean retryable,
            String detail,
            Throwable cause) {
        return Failures.of(provider, operation, status, code, retryable, detail, cause);
    }

    /** A call refused before its request left: see {@link Failures#notSent}. */
    public ProviderException notSent(
            String operation, String code, boolean retryable, String detail, Throwable cause) {
        return Failures.notSent(provider, operation, code, retryable, detail, cause);
    }

    public ProviderException malformed(
            String operation, int status, String detail, Throwable cause) {
        return Failures.malformed(provider, operation, status, detail, cause);
    }
}
