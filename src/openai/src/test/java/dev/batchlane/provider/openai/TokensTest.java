package dev.batchlane.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.knuddels.jtokkit.api.EncodingType;
import org.junit.jupiter.api.Test;

class TokensTest {
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void eachModelFamily_usesItsOwnEncoding() {
        assertThat(Tokens.encodingType("gpt-4o-mini-2024-07-18"))
                .isEqualTo(EncodingType.O200K_BASE);
        assertThat(Tokens.encodingType("gpt-4.1")).isEqualTo(EncodingType.O200K_BASE);
        assertThat(Tokens.encodingType("gpt-5-nano")).isEqualTo(EncodingType.O200K_BASE);
        assertThat(Tokens.encodingType("o3-mini")).isEqualTo(EncodingType.O200K_BASE);
        assertThat(Tokens.encodingType("gpt-3.5-turbo")).isEqualTo(EncodingType.CL100K_BASE);
        assertThat(Tokens.encodingType("text-embedding-3-small"))
                .isEqualTo(EncodingType.CL100K_BASE);
    }

    @Test
    void chatPrompt_countsContentWithTheRealTokenizerPlusMessageFraming() throws Exception {
        // "hello world" is 2 tokens in o200k_base; the role "user" 1; framing 3 per message + 3 for
        // the reply.
        long n =
                Tokens.forModel("gpt-4o")
                        .prompt(
                                json.readTree(
                                        "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hello world\"}]}"));
        assertThat(n).isEqualTo(3 + 1 + 2 + 3);
    }

    /**
     * Tool definitions and answer schemas are prompt the model reads; leaving them out undercounts
     * the budget.
     */
    @Test
    void toolsFunctionsAndSchemas_areCountedAsInput_andTokenIdsCountOneEach() throws Exception {
        Tokens t = Tokens.forModel("gpt-4o");
        String messages = "\"messages\":[{\"role\":\"user\",\"content\":\"hello world\"}]";
        long bare = t.prompt(json.readTree("{" + messages + "}"));
        String schema =
                "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\","
                        + "\"description\":\"the city whose weather the user asked about, in full\"}}}";
        for (String extra :
                new String[] {
                    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"weather\",\"parameters\":"
                            + schema
                            + "}}]",
                    "\"functions\":[{\"name\":\"weather\",\"parameters\":" + schema + "}]",
                    "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"w\",\"schema\":"
                            + schema
                            + "}}",
                    "\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"w\",\"schema\":"
                            + schema
                            + "}}"
                }) {
            assertThat(t.prompt(json.readTree("{" + messages + "," + extra + "}")))
                    .as(extra)
                    .isGreaterThanOrEqualTo(bare + 20);
        }
        assertThat(
                        Tokens.forModel("text-embedding-3-small")
                                .prompt(json.readTree("{\"input\":[[1,2,3],[4,5]]}")))
                .isEqualTo(5);
    }

    @Test
    void embeddingsInput_andContentParts_areCounted_butImageUrlsAreNot() throws Exception {
        Tokens t = Tokens.forModel("text-embedding-3-small");
        assertThat(t.prompt(json.readTree("{\"input\":\"hello world\"}"))).isEqualTo(2);
        long withImage =
                Tokens.forModel("gpt-4o")
                        .prompt(
                                json.readTree(
                                        "{\"messages\":[{\"role\":\"user\",\"content\":["
                                                + "{\"type\":\"text\",\"text\":\"hello world\"},"
                                                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/a-very-long-image-url.png\"}}]}]}"));
        assertThat(withImage).isEqualTo(3 + 1 + 2 + 3);
    }

    @Test
    void sharedSystemPrompt_isTokenizedOncePerEncoding_andCountsStayExact() throws Exception {
        String prompt =
                "You are a fraud analyst. Score each transaction from 0 to 100 and explain briefly. "
                        .repeat(20);
        com.knuddels.jtokkit.api.Encoding o200k =
                com.knuddels.jtokkit.Encodings.newDefaultEncodingRegistry()
                        .getEncoding(EncodingType.O200K_BASE);
        long hitsBefore = Tokens.cache(EncodingType.O200K_BASE).hits();
        for (int i = 0; i < 50; i++) {
            String user = "transaction " + i + " of $" + (i * 17) + " at merchant m-" + i;
            long n =
                    Tokens.forModel("gpt-4o-mini")
                            .prompt(
                                    json.readTree(
                                            json.writeValueAsString(
                                                    java.util.Map.of(
                                                            "messages",
                                                            java.util.List.of(
                                                                    java.util.Map.of(
                                                                            "role", "system",
                                                                            "content", prompt),
                                                                    java.util.Map.of(
                                                                            "role", "user",
                                                                            "content", user))))));
            // Exactly what counting every string afresh gives: role names, both contents, framing.
            long expected =
                    3
                            + o200k.countTokensOrdinary("system")
                            + o200k.countTokensOrdinary(prompt)
                            + 3
                            + o200k.countTokensOrdinary("user")
                            + o200k.countTokensOrdinary(user)
                            + 3;
            assertThat(n).isEqualTo(expected);
        }
        // The prompt was counted on the first line (or an earlier test) and read from the cache
        // after.
        assertThat(Tokens.cache(EncodingType.O200K_BASE).hits() - hitsBefore)
                .isGreaterThanOrEqualTo(49);
        // The other encoding has its own counts: the cached o200k figure is never used for cl100k.
        long cl =
                Tokens.forModel("gpt-3.5-turbo")
                        .prompt(
                                json.readTree(
                                        json.writeValueAsString(
                                                java.util.Map.of("input", prompt))));
        assertThat(cl)
                .isEqualTo(
                        com.knuddels.jtokkit.Encodings.newDefaultEncodingRegistry()
                                .getEncoding(EncodingType.CL100K_BASE)
                                .countTokensOrdinary(prompt));
    }
}
