package dev.batchlane.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import dev.batchlane.core.money.TokenCache;
import java.util.EnumMap;
import java.util.Map;

/**
 * Counts prompt tokens with the tokenizer the model uses (jtokkit, OpenAI's BPE tables): o200k_base
 * for the GPT-4o, GPT-4.1, GPT-5 and o-series families, cl100k_base for older chat models and the
 * text-embedding-3 models. A chat prompt also pays a few tokens per message for the role framing;
 * OpenAI's cookbook counts 3 per message plus 3 to prime the reply, which is used here. Long
 * strings that repeat (a shared system prompt) are counted once, through a {@link TokenCache}.
 */
final class Tokens {
    private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();
    private static final int PER_MESSAGE = 3;
    private static final int REPLY_PRIMING = 3;

    /**
     * One cache per encoding: the same text has different counts under o200k_base and cl100k_base.
     */
    private static final Map<EncodingType, TokenCache> CACHES = new EnumMap<>(EncodingType.class);

    static {
        for (EncodingType type : EncodingType.values()) {
            CACHES.put(type, TokenCache.standard());
        }
    }

    private final Encoding encoding;
    private final TokenCache cache;

    private Tokens(Encoding encoding, TokenCache cache) {
        this.encoding = encoding;
        this.cache = cache;
    }

    static Tokens forModel(String model) {
        EncodingType type = encodingType(model);
        return new Tokens(REGISTRY.getEncoding(type), CACHES.get(type));
    }

    /** The cache of an encoding, for tests and the benchmark. */
    static TokenCache cache(EncodingType type) {
        return CACHES.get(type);
    }

    static EncodingType encodingType(String model) {
        String m = model == null ? "" : model;
        if (m.startsWith("gpt-4o")
                || m.startsWith("gpt-4.1")
                || m.startsWith("gpt-4.5")
                || m.startsWith("gpt-5")
                || m.startsWith("o1")
                || m.startsWith("o3")
                || m.startsWith("o4")
                || m.startsWith("chatgpt-4o")) {
            return EncodingType.O200K_BASE;
        }
        return EncodingType.CL100K_BASE;
    }

    /**
     * The prompt of one request body: chat messages, a Responses or embeddings input, or a
     * completion prompt.
     */
    long prompt(JsonNode body) {
        if (body == null) {
            return 0;
        }
        long tokens = 0;
        JsonNode messages = body.get("messages");
        if (messages != null && messages.isArray()) {
            for (JsonNode message : messages) {
                tokens += PER_MESSAGE + text(message);
            }
            tokens += REPLY_PRIMING;
        }
        for (String field : new String[] {"input", "prompt", "instructions"}) {
            JsonNode value = body.get(field);
            if (value != null) {
                tokens += text(value);
            }
        }
        // Tool and function definitions and output schemas reach the model as prompt text too;
        // their
        // JSON is counted whole (names, descriptions, types, structure), which can only overcount.
        for (String field : SCHEMA_FIELDS) {
            JsonNode value = body.get(field);
            if (value != null && !value.isNull()) {
                tokens += cache.count(value.toString(), encoding::countTokensOrdinary);
            }
        }
        return tokens;
    }

    /**
     * Request fields that define tools or the shape of the answer: Chat Completions' {@code tools},
     * {@code functions} and {@code response_format}, and the Responses API's {@code tools} and
     * {@code text} (whose {@code format} holds a JSON schema).
     */
    private static final String[] SCHEMA_FIELDS = {"tools", "functions", "response_format", "text"};

    /**
     * Tokens in every string of a node: message content may be a string or a list of typed parts.
     */
    private long text(JsonNode node) {
        if (node.isTextual()) {
            return cache.count(node.asText(), encoding::countTokensOrdinary);
        }
        if (node.isIntegralNumber()) {
            // A prompt or embedding input given as token ids ([1734, 1917]): each id is one token.
            return 1;
        }
        long sum = 0;
        if (node.isObject()) {
            var fields = node.fields();
            while (fields.hasNext()) {
                var e = fields.next();
                // Images and audio are billed by size, not text; their URLs and data are not prompt
                // text.
                if (!e.getKey().equals("image_url")
                        && !e.getKey().equals("input_audio")
                        && !e.getKey().equals("type")) {
                    sum += text(e.getValue());
                }
            }
        } else if (node.isArray()) {
            for (JsonNode n : node) {
                sum += text(n);
            }
        }
        return sum;
    }
}
