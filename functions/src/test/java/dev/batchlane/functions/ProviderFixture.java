package dev.batchlane.functions;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What differs between providers in the end-to-end test: the native line format, how the simulator
 * is told to fail lines, and how it reports what it did. The assertions stay shared.
 */
interface ProviderFixture {
    String provider();

    String model();

    byte[] lines(int n);

    /** Fails these requests with a server error every time (resubmitted, then final). */
    void serverErrors(Set<String> ids);

    /** Fails these with the model's refusal (final at once). */
    void refuse(Set<String> ids);

    /** Fails these once with a passing error (they succeed when resubmitted). */
    void failOnce(Set<String> ids);

    /** Batches created at the provider so far. */
    int submissions();

    /** Input and output tokens the simulator reported so far. */
    long[] usage();

    /** Nothing of ours left at the provider. */
    boolean clean();

    /** What the refused lines' error carries. */
    String refusalCode();

    /** What the server-error lines' error carries. */
    String serverErrorCode();

    /** A JSON pointer into a succeeded line's response that the provider always fills. */
    String responseRolePointer();

    static String id(int i) {
        return String.format("row-%05d", i);
    }

    final class OpenAi implements ProviderFixture {
        private final LocalLane.Parts lane;

        OpenAi(LocalLane.Parts lane) {
            this.lane = lane;
        }

        @Override
        public String provider() {
            return "openai";
        }

        @Override
        public String model() {
            return "gpt-4o-mini";
        }

        @Override
        public byte[] lines(int n) {
            return LaneEndToEndTest.chatLines(n);
        }

        @Override
        public void serverErrors(Set<String> ids) {
            lane.openai()
                    .failLines(
                            ids::contains,
                            500,
                            "server_error",
                            "The server had an error processing your request.");
        }

        @Override
        public void refuse(Set<String> ids) {
            lane.openai()
                    .failLines(
                            ids::contains,
                            400,
                            "context_length_exceeded",
                            "Maximum context length exceeded.");
        }

        @Override
        public void failOnce(Set<String> ids) {
            Set<String> failed = ConcurrentHashMap.newKeySet();
            lane.openai()
                    .failLines(
                            id -> ids.contains(id) && failed.add(id),
                            503,
                            "server_error",
                            "Overloaded.");
        }

        @Override
        public int submissions() {
            return lane.openai().uploadCount();
        }

        @Override
        public long[] usage() {
            var u = lane.openai().knownUsage();
            return new long[] {u.inputTokens(), u.outputTokens()};
        }

        @Override
        public boolean clean() {
            return lane.openai().liveFileIds().isEmpty();
        }

        @Override
        public String refusalCode() {
            return "context_length_exceeded";
        }

        @Override
        public String serverErrorCode() {
            return "server_error";
        }

        @Override
        public String responseRolePointer() {
            return "/response/choices/0/message/role";
        }
    }

    final class Anthropic implements ProviderFixture {
        private final LocalLane.Parts lane;

        Anthropic(LocalLane.Parts lane) {
            this.lane = lane;
        }

        @Override
        public String provider() {
            return "anthropic";
        }

        @Override
        public String model() {
            return "claude-3-5-haiku-20241022";
        }

        @Override
        public byte[] lines(int n) {
            StringBuilder sb = new StringBuilder();
            for (int i = 1; i <= n; i++) {
                sb.append("{\"custom_id\":\"")
                        .append(id(i))
                        .append("\",\"params\":{\"model\":\"")
                        .append(model())
                        .append(
                                "\",\"max_tokens\":8,\"system\":\"Score the transaction for fraud risk 0-1.\",")
                        .append("\"messages\":[{\"role\":\"user\",\"content\":\"amount=")
                        .append(i * 13 % 997)
                        .append(" country=DE merchant=m")
                        .append(i % 31)
                        .append("\"}]}}\n");
            }
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public void serverErrors(Set<String> ids) {
            lane.anthropic().failLines(ids::contains, "api_error", "Internal server error.");
        }

        @Override
        public void refuse(Set<String> ids) {
            lane.anthropic()
                    .failLines(ids::contains, "invalid_request_error", "prompt is too long");
        }

        @Override
        public void failOnce(Set<String> ids) {
            Set<String> failed = ConcurrentHashMap.newKeySet();
            lane.anthropic()
                    .failLines(
                            id -> ids.contains(id) && failed.add(id),
                            "overloaded_error",
                            "Overloaded.");
        }

        @Override
        public int submissions() {
            return lane.anthropic().createCount();
        }

        @Override
        public long[] usage() {
            long[] u = lane.anthropic().knownUsage();
            return new long[] {u[0] + u[2], u[1]};
        }

        @Override
        public boolean clean() {
            return lane.anthropic().liveBatchIds().isEmpty();
        }

        @Override
        public String refusalCode() {
            return "invalid_request_error";
        }

        @Override
        public String serverErrorCode() {
            return "api_error";
        }

        @Override
        public String responseRolePointer() {
            return "/response/role";
        }
    }
}
