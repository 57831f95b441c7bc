package dev.batchlane.http;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Putting stored values into URLs and headers. Ids come from stored state and providers' answers;
 * one holding {@code /}, {@code ?} or {@code #} must not address another resource, and a file name
 * holding a quote or a line break must not end a form-data header early.
 */
public final class Escape {
    private Escape() {}

    /**
     * A path segment: RFC 3986's unreserved characters stay, every other byte is percent-encoded.
     */
    public static String segment(String id) {
        StringBuilder out = new StringBuilder(id.length());
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xFF);
            if ((c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '-'
                    || c == '_'
                    || c == '.'
                    || c == '~') {
                out.append(c);
            } else {
                out.append('%')
                        .append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xF, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xF, 16)));
            }
        }
        return out.toString();
    }

    /** A query parameter's value, form-encoded. */
    public static String query(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /**
     * A filename for a form-data header, escaped as browsers do (RFC 7578 §4.2 defers to HTML): a
     * quote or line break in a name must not end the header early.
     */
    public static String formFilename(String name) {
        return name.replace("\"", "%22").replace("\r", "%0D").replace("\n", "%0A");
    }
}
