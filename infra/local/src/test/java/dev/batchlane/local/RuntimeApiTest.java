package dev.batchlane.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The Runtime API as a Lambda runtime client sees it: next, then response or error. */
class RuntimeApiTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void nextHandsOutTheEvent_andTheResponseCompletesTheInvocation() throws Exception {
        try (RuntimeApi api = new RuntimeApi("ingest", Duration.ofSeconds(10))) {
            CompletableFuture<String> result = api.invoke("{\"Records\":[]}");
            HttpResponse<String> next = get(api, "invocation/next");
            String id = next.headers().firstValue("Lambda-Runtime-Aws-Request-Id").orElseThrow();
            assertThat(next.body()).isEqualTo("{\"Records\":[]}");
            assertThat(next.headers().firstValue("Lambda-Runtime-Deadline-Ms")).isPresent();
            assertThat(
                            next.headers()
                                    .firstValue("Lambda-Runtime-Invoked-Function-Arn")
                                    .orElseThrow())
                    .endsWith(":function:batchlane-ingest");

            assertThat(post(api, "invocation/" + id + "/response", "[\"done\"]").statusCode())
                    .isEqualTo(202);
            assertThat(result.get()).isEqualTo("[\"done\"]");
        }
    }

    @Test
    void anErrorFromTheFunction_failsTheInvocationWithItsMessage() throws Exception {
        try (RuntimeApi api = new RuntimeApi("complete", Duration.ofSeconds(10))) {
            CompletableFuture<String> result =
                    CompletableFuture.supplyAsync(() -> api.invokeAndWait("{}"));
            String id =
                    get(api, "invocation/next")
                            .headers()
                            .firstValue("Lambda-Runtime-Aws-Request-Id")
                            .orElseThrow();
            post(
                    api,
                    "invocation/" + id + "/error",
                    "{\"errorMessage\":\"boom\",\"errorType\":\"IllegalStateException\"}");
            assertThatThrownBy(result::join)
                    .hasCauseInstanceOf(RuntimeApi.FunctionError.class)
                    .hasMessageContaining("boom");
        }
    }

    @Test
    void deadlineHeader_isWhenTheInvocationWasHandedOutPlusTheTimeout() throws Exception {
        try (RuntimeApi api = new RuntimeApi("poll", Duration.ofSeconds(300))) {
            api.invoke("{}");
            long before = System.currentTimeMillis();
            HttpResponse<String> next = get(api, "invocation/next");
            long after = System.currentTimeMillis();
            long deadline =
                    Long.parseLong(
                            next.headers().firstValue("Lambda-Runtime-Deadline-Ms").orElseThrow());
            assertThat(deadline).isBetween(before + 300_000, after + 300_000);
        }
    }

    @Test
    void invocationPastItsTimeout_failsAsOnLambda_isReplaced_andTheNextInvocationWorks()
            throws Exception {
        try (RuntimeApi api = new RuntimeApi("ingest", Duration.ofSeconds(1))) {
            java.util.concurrent.atomic.AtomicReference<String> timedOut =
                    new java.util.concurrent.atomic.AtomicReference<>();
            api.onTimeout(timedOut::set);
            CompletableFuture<String> first =
                    CompletableFuture.supplyAsync(() -> api.invokeAndWait("{\"n\":1}"));
            String id =
                    get(api, "invocation/next")
                            .headers()
                            .firstValue("Lambda-Runtime-Aws-Request-Id")
                            .orElseThrow();
            // the function never answers: the deadline passes
            assertThatThrownBy(first::join)
                    .hasCauseInstanceOf(RuntimeApi.FunctionError.class)
                    .hasMessageContaining(id + " Task timed out after 1.00 seconds");
            assertThat(timedOut.get())
                    .as("the stack is told, to replace the process")
                    .contains("Task timed out after 1.00 seconds");
            // a late answer from the killed process changes nothing
            assertThat(post(api, "invocation/" + id + "/response", "\"late\"").statusCode())
                    .isEqualTo(202);

            CompletableFuture<String> second = api.invoke("{\"n\":2}");
            HttpResponse<String> next = get(api, "invocation/next");
            assertThat(next.body()).isEqualTo("{\"n\":2}");
            String id2 = next.headers().firstValue("Lambda-Runtime-Aws-Request-Id").orElseThrow();
            post(api, "invocation/" + id2 + "/response", "\"ok\"");
            assertThat(second.get(5, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("\"ok\"");
        }
    }

    @Test
    void streamFilter_keepsOnlyShardsThatJustReachedEnded() {
        String event =
                "{\"Records\":["
                        + record("ENDED", "SUBMITTED")
                        + ","
                        + record("COMPLETED", "ENDED")
                        + ","
                        + record("ENDED", "ENDED")
                        + ","
                        + record("SUBMITTED", "SUBMITTING")
                        + "]}";
        String filtered = AwsTriggers.endedOnly(event);
        assertThat(filtered)
                .contains("\"SUBMITTED\"")
                .doesNotContain("SUBMITTING")
                .doesNotContain("COMPLETED");
        assertThat(filtered.split("eventName")).hasSize(2);
        assertThat(
                        AwsTriggers.endedOnly(
                                "{\"Records\":[" + record("SUBMITTED", "SUBMITTING") + "]}"))
                .isNull();
    }

    private static String record(String now, String before) {
        return "{\"eventName\":\"MODIFY\",\"dynamodb\":{\"NewImage\":{\"type\":{\"S\":\"shard\"},\"status\":{\"S\":\""
                + now
                + "\"}},\"OldImage\":{\"type\":{\"S\":\"shard\"},\"status\":{\"S\":\""
                + before
                + "\"}}}}";
    }

    private HttpResponse<String> get(RuntimeApi api, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(
                                URI.create(
                                        "http://" + api.address() + "/2018-06-01/runtime/" + path))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(RuntimeApi api, String path, String body) throws Exception {
        return http.send(
                HttpRequest.newBuilder(
                                URI.create(
                                        "http://" + api.address() + "/2018-06-01/runtime/" + path))
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
