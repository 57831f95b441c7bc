package dev.batchlane.provider.openai;

import dev.batchlane.core.provider.*;
import dev.batchlane.simulator.openai.OpenAiSimulator;
import java.io.ByteArrayInputStream;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScratchTest {
    @Test
    void show() {
        try (OpenAiSimulator sim = OpenAiSimulator.builder().stepDuration(Duration.ZERO).start()) {
            OpenAiProvider p = new OpenAiProvider(new OpenAiConfig(sim.baseUri(), "k", Duration.ofSeconds(5)), HttpClient.newHttpClient());
            byte[] c = "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}}\n".getBytes();
            try { p.submit(new Payload("x.jsonl", c.length + 5, () -> new ByteArrayInputStream(c)), "/v1/chat/completions", Map.of()); } catch (ProviderException e) { System.out.println("SHORT: " + e.getMessage() + " cause=" + e.getCause()); }
            try { p.submit(new Payload("x.jsonl", c.length - 5, () -> new ByteArrayInputStream(c)), "/v1/chat/completions", Map.of()); } catch (ProviderException e) { System.out.println("LONG: " + e.getMessage()); }
            try { p.submit(new Payload("x.jsonl", c.length, () -> { throw new java.io.IOException("s3 down"); }), "/v1/chat/completions", Map.of()); } catch (ProviderException e) { System.out.println("OPENFAIL: " + e.getMessage()); }
            try { p.retrieve("batch_nope"); } catch (ProviderException e) { System.out.println("404: " + e.getMessage() + " code=" + e.code()); }
            sim.malformNextCalls("retrieveBatch", 1);
            try { p.retrieve("batch_nope"); } catch (ProviderException e) { System.out.println("MAL: " + e.getMessage()); }
            Submission s = p.submit(new Payload("x.jsonl", c.length, () -> new ByteArrayInputStream(c)), "/v1/chat/completions", Map.of());
            BatchView v; do { v = p.retrieve(s.batchId()); } while (!v.state().terminal());
            p.streamResults(v, r -> System.out.println("LINE: " + r));
            System.out.println(sim.requestLog());
        }
    }
}
