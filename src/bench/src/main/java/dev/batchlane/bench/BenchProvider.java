package dev.batchlane.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchlane.core.ingest.RequestContract;
import dev.batchlane.core.provider.BatchProvider;
import dev.batchlane.core.provider.BatchState;
import dev.batchlane.core.provider.BatchView;
import dev.batchlane.core.provider.LineResult;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.core.provider.Submission;
import dev.batchlane.provider.openai.OpenAiContract;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An "openai" provider for the benchmark: the real {@link OpenAiContract} validates and counts,
 * submission costs nothing (no upload, a made-up batch id), and results are read from a local
 * OpenAI batch output file and parsed by the adapter's own result-line parser ({@code
 * ResultLines.parse}, package-private, reached by reflection) instead of over HTTP.
 */
final class BenchProvider implements BatchProvider {
    private static final MethodHandle PARSE = resultLineParser();

    private final RequestContract contract;
    private final Path outputFile;
    private final AtomicInteger batches = new AtomicInteger();

    BenchProvider(boolean countTokens, Path outputFile) {
        RequestContract real = new OpenAiContract();
        this.contract = countTokens ? real : new NoCount(real);
        this.outputFile = outputFile;
    }

    @Override
    public String name() {
        return "openai";
    }

    /** The benchmark's files stay on local disk until the run ends. */
    @Override
    public java.util.Optional<java.time.Duration> inputFileLifetime() {
        return java.util.Optional.empty();
    }

    @Override
    public dev.batchlane.core.ingest.IngestLimits limits() {
        return dev.batchlane.provider.openai.Vendor.OPENAI_LIMITS;
    }

    @Override
    public RequestContract contract() {
        return contract;
    }

    @Override
    public Submission submit(Payload payload, String endpoint, Map<String, String> metadata) {
        int n = batches.incrementAndGet();
        return Submission.batch(
                "batch_bench_" + n, "file-bench-" + n, BatchState.PENDING, "validating");
    }

    /** Makes nothing a lost answer could hide: every batch exists only in this process. */
    @Override
    public dev.batchlane.core.provider.Reconciliation findCreated(
            dev.batchlane.core.provider.CreationQuery query) {
        return dev.batchlane.core.provider.Reconciliation.nothing("nothing is made remotely");
    }

    @Override
    public BatchView retrieve(String batchId) {
        throw new UnsupportedOperationException("the benchmark never polls");
    }

    @Override
    public void streamResults(BatchView batch, Consumer<LineResult> sink) {
        try (BufferedReader in = Files.newBufferedReader(outputFile, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.isBlank()) {
                    sink.accept((LineResult) PARSE.invokeExact(line));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("a generated result line did not parse", t);
        }
    }

    @Override
    public void cleanup(String inputFileId, String outputFileId, String errorFileId) {
        // nothing was uploaded
    }

    private static MethodHandle resultLineParser() {
        try {
            Class<?> c = Class.forName("dev.batchlane.provider.openai.ResultLines");
            Method m = c.getDeclaredMethod("parse", String.class);
            m.setAccessible(true);
            return MethodHandles.lookup()
                    .unreflect(m)
                    .asType(MethodType.methodType(LineResult.class, String.class));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(
                    "the OpenAI adapter's ResultLines.parse(String) is not where it was", e);
        }
    }

    /**
     * The provider's contract with token counting switched off: {@code inputTokens} returns 0,
     * everything else (the line rules, model, endpoint, output caps) is the real contract's.
     */
    static final class NoCount implements RequestContract {
        private final RequestContract real;

        NoCount(RequestContract real) {
            this.real = real;
        }

        @Override
        public String idField() {
            return real.idField();
        }

        @Override
        public FileRules startFile() {
            FileRules rules = real.startFile();
            return new FileRules() {
                @Override
                public void check(
                        long lineNumber, String customId, ObjectNode line, ViolationSink out) {
                    rules.check(lineNumber, customId, line, out);
                }

                @Override
                public String endpoint() {
                    return rules.endpoint();
                }

                @Override
                public String model() {
                    return rules.model();
                }

                @Override
                public JsonNode requestBody(ObjectNode line) {
                    return rules.requestBody(line);
                }

                @Override
                public String modelOf(ObjectNode line) {
                    return rules.modelOf(line);
                }

                @Override
                public long inputTokens(ObjectNode line) {
                    return 0;
                }
            };
        }
    }
}
