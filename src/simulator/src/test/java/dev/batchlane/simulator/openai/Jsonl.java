package dev.batchlane.simulator.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** Builds batch input files for the tests. */
final class Jsonl {
    static final String CHAT = "/v1/chat/completions";
    static final String MODEL = "gpt-4o-mini";

    private Jsonl() {}

    /** Request ids {@code req-1 .. req-n}. */
    static List<String> ids(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> "req-" + i).toList();
    }

    /** {@code n} chat lines {@code req-1 .. req-n}, each asking "Say hello to i". */
    static String chat(int n) {
        return ids(n).stream()
                .map(id -> chatLine(id, "Say hello to " + id.substring(4), null))
                .collect(Collectors.joining("\n", "", "\n"));
    }

    static String chatLine(String customId, String userText, Integer maxTokens) {
        ObjectNode body = SimClient.JSON.createObjectNode();
        body.put("model", MODEL);
        ObjectNode message = body.putArray("messages").addObject();
        message.put("role", "user");
        message.put("content", userText);
        if (maxTokens != null) {
            body.put("max_tokens", maxTokens);
        }
        return line(customId, CHAT, body);
    }

    static String line(String customId, String url, ObjectNode body) {
        ObjectNode line = SimClient.JSON.createObjectNode();
        line.put("custom_id", customId);
        line.put("method", "POST");
        line.put("url", url);
        line.set("body", body);
        return line.toString();
    }
}
