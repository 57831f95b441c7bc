package dev.batchlane.local.iam;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * S3's REST operations, path-style (the local stack's clients use path-style addressing), mapped to
 * the actions S3 authorizes: object reads and writes (multipart included) on the object's ARN,
 * listings on the bucket's with {@code s3:prefix}, {@code s3:delimiter} and {@code s3:max-keys};
 * and, for a bucket encrypted with a KMS key by default, the KMS permissions S3 uses on the
 * caller's behalf ({@code kms:ViaService} = {@code s3.<region>.amazonaws.com}). Context: requests
 * are taken as made over TLS 1.3, as the SDK makes them to AWS.
 */
public final class S3Rules implements ServiceRules {
    private static final Pattern KEY = Pattern.compile("<Key>([^<]*)</Key>");
    private final String region;
    private final String kmsKey;

    /**
     * @param kmsKey the bucket's default KMS key ARN, or null when objects are not KMS-encrypted
     */
    public S3Rules(String region, String kmsKey) {
        this.region = region;
        this.kmsKey = kmsKey;
    }

    @Override
    public String signingName() {
        return "s3";
    }

    @Override
    public boolean needsBody(Call call) {
        // DeleteObjects names its keys in the body; everything else streams.
        return "POST".equals(call.method()) && call.query().containsKey("delete");
    }

    @Override
    public List<AccessRequest> authorizations(Call call) {
        String path = call.rawPath();
        String rest = path.startsWith("/") ? path.substring(1) : path;
        int slash = rest.indexOf('/');
        String bucket =
                URLDecoder.decode(
                        slash < 0 ? rest : rest.substring(0, slash), StandardCharsets.UTF_8);
        String key =
                slash < 0 || slash == rest.length() - 1
                        ? null
                        : URLDecoder.decode(
                                rest.substring(slash + 1).replace("+", "%2B"),
                                StandardCharsets.UTF_8);
        if (bucket.isEmpty()) {
            return "GET".equals(call.method())
                    ? List.of(context(AccessRequest.of("s3:ListAllMyBuckets", "*")))
                    : List.of();
        }
        Map<String, String> q = call.query();
        String bucketArn = "arn:aws:s3:::" + bucket;
        List<AccessRequest> out = new ArrayList<>();
        if (key == null) {
            String action =
                    switch (call.method()) {
                        case "GET" ->
                                q.containsKey("versions")
                                        ? "s3:ListBucketVersions"
                                        : q.containsKey("uploads")
                                                ? "s3:ListBucketMultipartUploads"
                                                : q.containsKey("location")
                                                        ? "s3:GetBucketLocation"
                                                        : q.containsKey("versioning")
                                                                ? "s3:GetBucketVersioning"
                                                                : q.containsKey("notification")
                                                                        ? "s3:GetBucketNotification"
                                                                        : onlyListParameters(q)
                                                                                ? "s3:ListBucket"
                                                                                : null;
                        case "HEAD" -> "s3:ListBucket";
                        case "PUT" -> q.isEmpty() ? "s3:CreateBucket" : null;
                        case "DELETE" -> q.isEmpty() ? "s3:DeleteBucket" : null;
                        case "POST" -> q.containsKey("delete") ? "s3:DeleteObject" : null;
                        default -> null;
                    };
            if (action == null) {
                return List.of();
            }
            if (action.equals("s3:DeleteObject")) {
                // DeleteObjects is authorized as s3:DeleteObject on each key it names.
                Matcher m = KEY.matcher(new String(call.body(), StandardCharsets.UTF_8));
                while (m.find()) {
                    out.add(
                            context(
                                    AccessRequest.of(
                                            action, bucketArn + "/" + xmlText(m.group(1)))));
                }
                return out;
            }
            AccessRequest r = context(AccessRequest.of(action, bucketArn));
            if (action.startsWith("s3:List")) {
                for (String k : List.of("prefix", "delimiter", "max-keys")) {
                    if (q.containsKey(k)) {
                        r = r.with("s3:" + k, q.get(k));
                    }
                }
            }
            return List.of(r);
        }
        String objectArn = bucketArn + "/" + key;
        boolean version = q.containsKey("versionId");
        switch (call.method()) {
            case "GET", "HEAD" -> {
                if (q.containsKey("uploadId")) {
                    out.add(AccessRequest.of("s3:ListMultipartUploadParts", objectArn));
                } else if (q.containsKey("tagging")) {
                    out.add(
                            AccessRequest.of(
                                    version ? "s3:GetObjectVersionTagging" : "s3:GetObjectTagging",
                                    objectArn));
                } else if (q.containsKey("acl")) {
                    out.add(
                            AccessRequest.of(
                                    version ? "s3:GetObjectVersionAcl" : "s3:GetObjectAcl",
                                    objectArn));
                } else {
                    out.add(
                            AccessRequest.of(
                                    version ? "s3:GetObjectVersion" : "s3:GetObject", objectArn));
                    if ("GET".equals(call.method())) {
                        kms(out, "kms:Decrypt");
                    }
                }
            }
            case "PUT" -> {
                if (q.containsKey("tagging")) {
                    out.add(AccessRequest.of("s3:PutObjectTagging", objectArn));
                } else if (q.containsKey("acl")) {
                    out.add(AccessRequest.of("s3:PutObjectAcl", objectArn));
                } else {
                    // PutObject, UploadPart and CopyObject's destination are all s3:PutObject.
                    out.add(AccessRequest.of("s3:PutObject", objectArn));
                    String source = call.header("x-amz-copy-source");
                    if (source != null) {
                        String s =
                                URLDecoder.decode(
                                        source.startsWith("/") ? source.substring(1) : source,
                                        StandardCharsets.UTF_8);
                        int v = s.indexOf("?versionId=");
                        out.add(
                                AccessRequest.of(
                                        v >= 0 ? "s3:GetObjectVersion" : "s3:GetObject",
                                        "arn:aws:s3:::" + (v >= 0 ? s.substring(0, v) : s)));
                        kms(out, "kms:Decrypt");
                    }
                    if (!q.containsKey("uploadId")) {
                        kms(out, "kms:GenerateDataKey");
                    }
                }
            }
            case "POST" -> {
                if (q.containsKey("uploads")) {
                    // A multipart upload to a KMS-encrypted bucket needs both: S3 decrypts the data
                    // key per part.
                    out.add(AccessRequest.of("s3:PutObject", objectArn));
                    kms(out, "kms:GenerateDataKey");
                    kms(out, "kms:Decrypt");
                } else if (q.containsKey("uploadId")) {
                    out.add(AccessRequest.of("s3:PutObject", objectArn));
                } else {
                    return List.of();
                }
            }
            case "DELETE" ->
                    out.add(
                            AccessRequest.of(
                                    q.containsKey("uploadId")
                                            ? "s3:AbortMultipartUpload"
                                            : version
                                                    ? "s3:DeleteObjectVersion"
                                                    : "s3:DeleteObject",
                                    objectArn));
            default -> {
                return List.of();
            }
        }
        return out.stream().map(this::context).toList();
    }

    private static boolean onlyListParameters(Map<String, String> q) {
        var allowed =
                List.of(
                        "list-type",
                        "prefix",
                        "delimiter",
                        "max-keys",
                        "continuation-token",
                        "start-after",
                        "encoding-type",
                        "fetch-owner",
                        "marker");
        return q.keySet().stream().allMatch(allowed::contains);
    }

    private void kms(List<AccessRequest> out, String action) {
        if (kmsKey != null) {
            out.add(
                    AccessRequest.of(action, kmsKey)
                            .with("kms:ViaService", "s3." + region + ".amazonaws.com"));
        }
    }

    private AccessRequest context(AccessRequest r) {
        if (r.action().startsWith("kms:")) {
            return r;
        }
        return r.with("aws:SecureTransport", "true").with("s3:TlsVersion", "1.3");
    }

    private static String xmlText(String s) {
        return s.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&");
    }

    @Override
    public Answer denied(Call call, String message) {
        Map<String, String> h = new LinkedHashMap<>();
        String requestId = Long.toHexString(System.nanoTime()).toUpperCase(java.util.Locale.ROOT);
        h.put("x-amz-request-id", requestId);
        if ("HEAD".equals(call.method())) {
            return new Answer(403, h, new byte[0]); // S3 answers HEAD with the status alone
        }
        h.put("Content-Type", "application/xml");
        String body =
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>"
                        + message.replace("&", "&amp;")
                                .replace("<", "&lt;")
                                .replace(">", "&gt;")
                                .replace("\"", "&quot;")
                        + "</Message><RequestId>"
                        + requestId
                        + "</RequestId><HostId>batchlane-local</HostId></Error>";
        return new Answer(403, h, body.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * S3 says 404 for a missing key only to a caller allowed s3:ListBucket on the bucket; anyone
     * else gets 403, so code that treats "not found" as an answer needs that grant on AWS.
     */
    @Override
    public Optional<Answer> afterResponse(
            Call call, int status, byte[] body, Authorizer authorizer) {
        if (status != 404 || !("GET".equals(call.method()) || "HEAD".equals(call.method()))) {
            return Optional.empty();
        }
        String rest = call.rawPath().substring(1);
        int slash = rest.indexOf('/');
        if (slash < 0) {
            return Optional.empty();
        }
        String bucket = URLDecoder.decode(rest.substring(0, slash), StandardCharsets.UTF_8);
        AccessRequest list = context(AccessRequest.of("s3:ListBucket", "arn:aws:s3:::" + bucket));
        Decision d = authorizer.decide(list);
        if (d.allowed()) {
            return Optional.empty();
        }
        return Optional.of(
                denied(
                        call,
                        "Access Denied (the key does not exist, and without s3:ListBucket on "
                                + list.resource()
                                + " S3 does not say so)"));
    }
}
