package h;

import java.net.URI;
import java.nio.file.Path;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

public class Put {
    public static void main(String[] args) {
        S3Client s3 = S3Client.builder().endpointOverride(URI.create(args[0])).region(Region.US_EAST_1)
                .forcePathStyle(true).httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b"))).build();
        s3.createBucket(b -> b.bucket(args[1]));
        s3.putObject(b -> b.bucket(args[1]).key(args[2]), RequestBody.fromFile(Path.of(args[3])));
        System.out.println("put " + s3.headObject(b -> b.bucket(args[1]).key(args[2])).contentLength());
    }
}
