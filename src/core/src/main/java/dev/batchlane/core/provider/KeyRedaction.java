package dev.batchlane.core.provider;

import java.util.regex.Pattern;

/**
 * The one rule for text a provider sends back (an error message, a failed job's reason, a failed
 * line's error): every key-shaped word is replaced by {@value #REDACTED} before the text is kept
 * anywhere, because that text travels on into result lines, a shard's trouble and batch error, the
 * manifest and logs. A masked fragment ("sk-pro********xyz") is still part of a secret, and an
 * error about signing can quote the credential it was signed with. Every adapter, HTTP or SDK,
 * quotes provider text through here.
 */
public final class KeyRedaction {
    /** What a key-shaped word becomes. */
    public static final String REDACTED = "[redacted]";

    /**
     * Key-shaped words, by shape and never by who issued them:
     *
     * <ul>
     *   <li>the prefixes API keys are issued with ({@code sk-}, {@code sk-ant-}, {@code AIza},
     *       {@code gsk_}) followed by key characters;
     *   <li>cloud access key ids: {@code AKIA} (long-term) or {@code ASIA} (temporary) and at least
     *       twelve upper-case letters or digits, as a SigV4 error quotes them in its {@code
     *       Credential=};
     *   <li>a secret-looking token: a run of base64 characters holding an upper-case letter, a
     *       lower-case letter and a digit, exactly 40 long (a secret access key) or 100 and longer
     *       (a session token); hex digests, UUIDs, ARNs and the lane's own keys (cut by '-', '.' or
     *       ':') do not qualify;
     *   <li>any word holding a run of three or more asterisks: the masked fragment a 401 quotes.
     * </ul>
     */
    private static final Pattern KEY_LIKE =
            Pattern.compile(
                    "\\b(?:sk-|AIza|gsk_)[A-Za-z0-9_*\\-]{4,}"
                            + "|\\b(?:AKIA|ASIA)[A-Z0-9]{12,}"
                            + "|(?<![A-Za-z0-9/+=])"
                            + "(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[0-9])"
                            + "(?:[A-Za-z0-9/+]{40}|[A-Za-z0-9/+]{100,})={0,2}(?![A-Za-z0-9/+=])"
                            + "|[A-Za-z0-9_\\-]*\\*{3,}[A-Za-z0-9_*\\-]*");

    private KeyRedaction() {}

    /** {@code text} with every key-shaped word replaced by {@value #REDACTED}; null stays null. */
    public static String redactKeys(String text) {
        return text == null ? null : KEY_LIKE.matcher(text).replaceAll(REDACTED);
    }
}
