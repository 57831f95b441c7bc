package dev.batchlane.local.iam;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * IAM's evaluation for one principal in its own account: an explicit Deny in the identity policy or
 * in the resource's policy wins; else an Allow in either grants; else the request is denied
 * implicitly. Actions match case-insensitively, resources case-sensitively, both with {@code *} and
 * {@code ?}. Conditions: the String, Arn, Numeric and Bool operators, {@code Null}, {@code
 * ...IfExists} and the {@code ForAnyValue:}/{@code ForAllValues:} qualifiers. An operator it does
 * not know makes its statement fail closed (an Allow does not apply, a Deny does), so a policy this
 * evaluator cannot read never passes as broader than it is.
 *
 * <p>No SDK, no HTTP: the fault suite or any other harness can evaluate with it directly.
 */
public final class PolicyEvaluator {

    private PolicyEvaluator() {}

    /**
     * @param identity the principal's identity-based statements
     * @param resourcePolicy the resource's statements (bucket policy); only those naming the
     *     principal or "*" apply
     * @param principalArn the role ARN the resource policy's principals are matched against
     */
    public static Decision evaluate(
            List<IamStatement> identity,
            List<IamStatement> resourcePolicy,
            String principalArn,
            AccessRequest request) {
        IamStatement allow = null;
        for (IamStatement s : identity) {
            if (applies(s, request)) {
                if (!s.allow()) {
                    return new Decision(Decision.Outcome.EXPLICIT_DENY, s);
                }
                allow = allow == null ? s : allow;
            }
        }
        for (IamStatement s : resourcePolicy) {
            if (namesPrincipal(s, principalArn) && applies(s, request)) {
                if (!s.allow()) {
                    return new Decision(Decision.Outcome.EXPLICIT_DENY, s);
                }
                allow = allow == null ? s : allow;
            }
        }
        return allow != null
                ? new Decision(Decision.Outcome.ALLOWED, allow)
                : new Decision(Decision.Outcome.IMPLICIT_DENY, null);
    }

    static boolean namesPrincipal(IamStatement s, String principalArn) {
        return s.principals().stream().anyMatch(p -> p.equals("*") || p.equals(principalArn));
    }

    /** Whether the statement's action, resource and conditions all match (its effect aside). */
    public static boolean applies(IamStatement s, AccessRequest r) {
        boolean action =
                s.actions().stream()
                        .anyMatch(
                                a ->
                                        wildcard(
                                                a.toLowerCase(Locale.ROOT),
                                                r.action().toLowerCase(Locale.ROOT)));
        if (action == s.notAction()) {
            return false;
        }
        boolean resource = s.resources().stream().anyMatch(p -> wildcard(p, r.resource()));
        if (resource == s.notResource()) {
            return false;
        }
        for (var op : s.conditions().entrySet()) {
            for (var key : op.getValue().entrySet()) {
                Optional<Boolean> m =
                        condition(op.getKey(), lookup(r.context(), key.getKey()), key.getValue());
                if (m.isEmpty()) {
                    return !s.allow(); // unknown operator: fail closed
                }
                if (!m.get()) {
                    return false;
                }
            }
        }
        return true;
    }

    private static List<String> lookup(Map<String, List<String>> context, String key) {
        for (var e : context.entrySet()) {
            if (e.getKey().equalsIgnoreCase(key)) {
                return e.getValue();
            }
        }
        return null;
    }

    /** Empty when the operator is not one this evaluator knows. */
    static Optional<Boolean> condition(String operator, List<String> present, List<String> wanted) {
        String op = operator;
        String set = null;
        int colon = op.indexOf(':');
        if (colon > 0) {
            set = op.substring(0, colon);
            op = op.substring(colon + 1);
            if (!set.equals("ForAnyValue") && !set.equals("ForAllValues")) {
                return Optional.empty();
            }
        }
        boolean ifExists = op.endsWith("IfExists");
        if (ifExists) {
            op = op.substring(0, op.length() - "IfExists".length());
        }
        if (op.equals("Null")) {
            boolean absent = present == null || present.isEmpty();
            return Optional.of(wanted.stream().anyMatch(w -> Boolean.parseBoolean(w) == absent));
        }
        boolean negated = op.contains("Not");
        String base = op.replace("Not", "");
        if (!List.of(
                        "StringEquals",
                        "StringEqualsIgnoreCase",
                        "StringLike",
                        "ArnEquals",
                        "ArnLike",
                        "Bool",
                        "NumericEquals",
                        "NumericLessThan",
                        "NumericLessThanEquals",
                        "NumericGreaterThan",
                        "NumericGreaterThanEquals",
                        "BinaryEquals")
                .contains(base)) {
            return Optional.empty();
        }
        if (present == null || present.isEmpty()) {
            // A missing key: ...IfExists and ForAllValues match; a negated operator matches; others
            // do not.
            return Optional.of(ifExists || "ForAllValues".equals(set) || negated);
        }
        if ("ForAllValues".equals(set)) {
            boolean all =
                    present.stream()
                            .allMatch(v -> wanted.stream().anyMatch(w -> match(base, v, w)));
            return Optional.of(negated != all);
        }
        boolean any =
                present.stream().anyMatch(v -> wanted.stream().anyMatch(w -> match(base, v, w)));
        return Optional.of(negated != any);
    }

    private static boolean match(String base, String value, String wanted) {
        return switch (base) {
            case "StringEquals", "ArnEquals", "BinaryEquals" ->
                    base.equals("ArnEquals") ? wildcard(wanted, value) : value.equals(wanted);
            case "StringEqualsIgnoreCase" -> value.equalsIgnoreCase(wanted);
            case "StringLike", "ArnLike" -> wildcard(wanted, value);
            case "Bool" -> Boolean.parseBoolean(value) == Boolean.parseBoolean(wanted);
            default -> numeric(base, value, wanted);
        };
    }

    private static boolean numeric(String base, String value, String wanted) {
        try {
            int c = new BigDecimal(value).compareTo(new BigDecimal(wanted));
            return switch (base) {
                case "NumericEquals" -> c == 0;
                case "NumericLessThan" -> c < 0;
                case "NumericLessThanEquals" -> c <= 0;
                case "NumericGreaterThan" -> c > 0;
                default -> c >= 0;
            };
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** IAM's glob: {@code *} any run of characters (slashes too), {@code ?} one character. */
    public static boolean wildcard(String pattern, String value) {
        int p = 0;
        int v = 0;
        int star = -1;
        int mark = 0;
        while (v < value.length()) {
            if (p < pattern.length()
                    && (pattern.charAt(p) == '?' || pattern.charAt(p) == value.charAt(v))) {
                p++;
                v++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = v;
            } else if (star >= 0) {
                p = star + 1;
                v = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }
}
