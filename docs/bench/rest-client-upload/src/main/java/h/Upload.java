package h;

import com.sun.net.httpserver.HttpServer;
import dev.batchlane.core.provider.Payload;
import dev.batchlane.http.MultipartUpload;
import dev.batchlane.http.ProviderHttp;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * One 200 MB upload streamed from S3 to a loopback sink that reads and discards it, in one of three
 * ways: the JDK client through the HTTP layer (jdk), the Quarkus REST client with the payload as a
 * multipart InputStream part (rest-multipart), and the Quarkus REST client with a hand-framed
 * multipart body as a top-level InputStream entity (rest-stream). Prints the peak heap used.
 * Args: mode s3endpoint bucket key. Run by run.sh beside this folder (docs/decisions.md, the REST client).
 */
public class Upload {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        S3Client s3 = S3Client.builder().endpointOverride(URI.create(args[1])).region(Region.US_EAST_1)
                .forcePathStyle(true).httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b"))).build();
        String bucket = args[2];
        String key = args[3];
        long size = s3.headObject(b -> b.bucket(bucket).key(key)).contentLength();
        Payload payload = new Payload("shard-0.jsonl", size, () -> s3.getObject(b -> b.bucket(bucket).key(key)));
        AtomicLong received = new AtomicLong();
        HttpServer sink = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        sink.createContext("/", ex -> {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = ex.getRequestBody()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    received.addAndGet(n);
                }
            }
            byte[] ok = "{\"id\":\"file-1\"}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, ok.length);
            ex.getResponseBody().write(ok);
            ex.close();
        });
        sink.start();
        String base = "http://127.0.0.1:" + sink.getAddress().getPort();
        long t0 = System.nanoTime();
        String outcome;
        try {
            switch (mode) {
                case "jdk" -> {
                    ProviderHttp http = new ProviderHttp("openai", HttpClient.newHttpClient(), URI.create(base),
                            Duration.ofMinutes(10), Map.of("Authorization", "Bearer k"));
                    try (MultipartUpload form = new MultipartUpload().field("purpose", "batch")) {
                        outcome = http.sendJson("createFile", http.request("files")
                                .header("Content-Type", form.contentType())
                                .POST(form.body("file", payload, "application/jsonl")).build()).toString();
                    }
                }
                case "rest-multipart" -> outcome = RestVariants.multipart(base, payload);
                case "rest-stream" -> outcome = RestVariants.stream(base, payload);
                default -> throw new IllegalArgumentException(mode);
            }
        } catch (Throwable e) {
            outcome = "FAILED " + e;
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        System.out.printf("RESULT mode=%s size=%d received=%d ms=%d peakHeapMiB=%.1f maxHeapMiB=%.0f outcome=%s%n", mode,
                size, received.get(), ms, peak / 1048576.0, Runtime.getRuntime().maxMemory() / 1048576.0,
                outcome.length() > 200 ? outcome.substring(0, 200) : outcome);
        sink.stop(0);
        System.exit(0);
    }
}
