package dev.batchlane.local.iam;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The access key id and signing name of a SigV4 call, from its {@code Authorization} header or, for
 * a presigned URL, its {@code X-Amz-Credential} query parameter. The key names the caller (each
 * function process has its own) and the signing name the service: that is all the proxy needs of a
 * signature, which it does not verify (the emulators do not either).
 *
 * @param accessKeyId null when the call is not signed with SigV4
 * @param service the signing name; null when the call is not signed
 */
record SigV4Credential(String accessKeyId, String service) {
    private static final Pattern CREDENTIAL =
            Pattern.compile("Credential=([^/,\\s]+)/[^/]+/[^/]+/([^/]+)/aws4_request");
    private static final Pattern CREDENTIAL_KEY = Pattern.compile("Credential=[^/,\\s]+/");

    static SigV4Credential of(String authorization, String rawQuery) {
        Matcher m =
                CREDENTIAL.matcher(
                        authorization != null ? authorization : decodedCredential(rawQuery));
        String key = m.find() ? m.group(1) : null;
        String service = key != null ? m.group(2) : null;
        return new SigV4Credential(key, service);
    }

    /**
     * The same {@code Authorization} header signed, as far as the emulator can tell, by another
     * key.
     */
    static String withKey(String authorization, String accessKeyId) {
        return CREDENTIAL_KEY
                .matcher(authorization)
                .replaceFirst("Credential=" + accessKeyId + "/");
    }

    private static String decodedCredential(String query) {
        if (query == null) {
            return "";
        }
        for (String p : query.split("&")) {
            if (p.startsWith("X-Amz-Credential=")) {
                return "Credential=" + URLDecoder.decode(p.substring(17), StandardCharsets.UTF_8);
            }
        }
        return "";
    }
}
