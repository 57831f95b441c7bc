package dev.batchlane.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.simulator.anthropic.AnthropicSimulator;
import dev.batchlane.simulator.bedrock.BedrockSimulator;
import dev.batchlane.simulator.gemini.GeminiSimulator;
import dev.batchlane.simulator.openai.OpenAiSimulator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Every simulator logs a call before it answers, so a client that holds its answer finds the call
 * in the log. Adapter tests count calls in the log right after their client returns; when the
 * Gemini simulator appended after sending, they saw one call too few in about two runs of three.
 *
 * <p>The race lasts microseconds, so each simulator gets several clients at once, more than the
 * machine has cores: a handler thread that had already answered is then often descheduled before a
 * late append, and the client's immediate look at the log misses its own call. With the old order
 * this failed on every run tried; with the right order it cannot fail.
 */
class RecordBeforeAnswerTest {
    private static final int CLIENTS = 4;
    private static final int CALLS_PER_CLIENT = 150;

    @Test
    void gemini_everyAnsweredCallIsAlreadyInTheLog() throws Exception {
        try (GeminiSimulator sim = GeminiSimulator.builder().start()) {
            assertEachAnswerFollowsItsLogEntry(
                    sim.baseUrl(),
                    "/v1beta/batches/",
                    List.of("x-goog-api-key", "k"),
                    sim::requestLog);
        }
    }

    @Test
    void anthropic_everyAnsweredCallIsAlreadyInTheLog() throws Exception {
        try (AnthropicSimulator sim = AnthropicSimulator.builder().start()) {
            assertEachAnswerFollowsItsLogEntry(
                    sim.baseUrl(),
                    "/v1/messages/batches/",
                    List.of("x-api-key", "k", "anthropic-version", "2023-06-01"),
                    sim::requestLog);
        }
    }

    @Test
    void openAi_everyAnsweredCallIsAlreadyInTheLog() throws Exception {
        try (OpenAiSimulator sim = OpenAiSimulator.start()) {
            assertEachAnswerFollowsItsLogEntry(
                    "http://127.0.0.1:" + sim.port(),
                    "/v1/batches/",
                    List.of("Authorization", "Bearer k"),
                    () -> sim.requestLog().stream().map(Object::toString).toList());
        }
    }

    @Test
    void bedrock_everyAnsweredCallIsAlreadyInTheLog() throws Exception {
        // The S3 client is never called: every probe is refused before a job is looked at.
        try (S3Client s3 =
                        S3Client.builder()
                                .region(Region.US_EAST_1)
                                .endpointOverride(URI.create("http://127.0.0.1:9"))
                                .credentialsProvider(AnonymousCredentialsProvider.create())
                                .httpClient(UrlConnectionHttpClient.create())
                                .build();
                BedrockSimulator sim = BedrockSimulator.builder().s3(s3).start()) {
            assertEachAnswerFollowsItsLogEntry(
                    sim.endpoint(),
                    "/model-invocation-job/",
                    List.of(),
                    () ->
                            sim.requests().stream()
                                    .map(r -> r.method() + " " + r.path() + " -> " + r.status())
                                    .toList());
        }
    }

    /**
     * Each client asks for batches that do not exist, each under its own name, and looks for its
     * call (method, path and the status it was given) in the log as soon as the answer is in.
     */
    private static void assertEachAnswerFollowsItsLogEntry(
            String baseUrl, String prefix, List<String> headers, Supplier<List<String>> log)
            throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                Callable<List<String>> calls =
                        () -> {
                            List<String> missing = new ArrayList<>();
                            for (int i = 0; i < CALLS_PER_CLIENT; i++) {
                                String path = prefix + "probe-" + client + "-" + i;
                                HttpRequest.Builder b =
                                        HttpRequest.newBuilder(URI.create(baseUrl + path)).GET();
                                for (int h = 0; h < headers.size(); h += 2) {
                                    b.header(headers.get(h), headers.get(h + 1));
                                }
                                HttpResponse<String> answer =
                                        http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                                String entry = "GET " + path + " -> " + answer.statusCode();
                                if (!log.get().contains(entry)) {
                                    missing.add(entry);
                                }
                            }
                            return missing;
                        };
                results.add(clients.submit(calls));
            }
            List<String> missing = new ArrayList<>();
            for (Future<List<String>> r : results) {
                missing.addAll(r.get());
            }
            assertThat(missing)
                    .as("calls answered but not yet in the simulator's log when the answer arrived")
                    .isEmpty();
            assertThat(log.get()).hasSize(CLIENTS * CALLS_PER_CLIENT);
        } finally {
            clients.shutdownNow();
        }
    }
}
