package dev.batchlane.infra;

import dev.batchlane.infra.BatchlaneContract.Handler;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import software.amazon.awscdk.App;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.assertions.Template;

/**
 * One synthesis of the default lane, shared by every test class in the run (synthesis is the slow
 * part), and the few helpers the tests need to read IAM out of the template. Values the template
 * computes at deploy time are rendered as {@code ${LogicalId}} and {@code ${LogicalId.Attr}} so
 * resources can be matched as ARN patterns.
 */
final class SynthesizedLane {

    static final String ALARM_EMAIL = "oncall@example.com";

    private static Template template;
    private static Map<String, Object> json;
    private static BatchlaneProps props;

    private SynthesizedLane() {}

    static synchronized Template template() {
        if (template == null) {
            props =
                    BatchlaneProps.from(
                            Map.<String, Object>of(
                                            "functionZip",
                                            placeholderZip().toString(),
                                            "alarmEmail",
                                            ALARM_EMAIL)
                                    ::get,
                            Map.of());
            App app = new App();
            template =
                    Template.fromStack(
                            new BatchlaneStack(app, "Lane", StackProps.builder().build(), props));
            // Read once: every call into the template crosses to the jsii process.
            json = template.toJSON();
        }
        return template;
    }

    static synchronized Map<String, Object> json() {
        template();
        return json;
    }

    static synchronized BatchlaneProps props() {
        template();
        return props;
    }

    /**
     * A small stand-in for function.zip: a zip file is deployed as it is, so its content does not
     * matter.
     */
    static Path placeholderZip() {
        try {
            Path zip = Files.createTempFile("batchlane-function", ".zip");
            zip.toFile().deleteOnExit();
            try (OutputStream out = Files.newOutputStream(zip);
                    ZipOutputStream z = new ZipOutputStream(out)) {
                z.putNextEntry(new ZipEntry("placeholder.txt"));
                z.write("not a function".getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
            return zip;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> resources(String type) {
        Map<String, Map<String, Object>> found = new java.util.TreeMap<>();
        ((Map<String, Object>) json().get("Resources"))
                .forEach(
                        (id, resource) -> {
                            if (type.equals(((Map<String, Object>) resource).get("Type"))) {
                                found.put(id, (Map<String, Object>) resource);
                            }
                        });
        return found;
    }

    static String onlyResource(String type) {
        Map<String, Map<String, Object>> found = resources(type);
        if (found.size() != 1) {
            throw new AssertionError("expected one " + type + ", found " + found.keySet());
        }
        return found.keySet().iterator().next();
    }

    /** The one resource of {@code type} whose logical id contains {@code idPart}. */
    static String resource(String type, String idPart) {
        List<String> found =
                resources(type).keySet().stream().filter(id -> id.contains(idPart)).toList();
        if (found.size() != 1) {
            throw new AssertionError(
                    "expected one " + type + " named like " + idPart + ", found " + found);
        }
        return found.get(0);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> properties(String logicalId) {
        Map<String, Object> resources = (Map<String, Object>) json().get("Resources");
        Map<String, Object> resource = (Map<String, Object>) resources.get(logicalId);
        return (Map<String, Object>) resource.get("Properties");
    }

    @SuppressWarnings("unchecked")
    static String functionId(Handler handler) {
        List<String> ids =
                resources("AWS::Lambda::Function").entrySet().stream()
                        .filter(
                                e -> {
                                    Map<String, Object> p =
                                            (Map<String, Object>) e.getValue().get("Properties");
                                    Map<String, Object> env =
                                            (Map<String, Object>)
                                                    p.getOrDefault("Environment", Map.of());
                                    Map<String, Object> vars =
                                            (Map<String, Object>)
                                                    env.getOrDefault("Variables", Map.of());
                                    return handler.handlerName()
                                            .equals(vars.get(BatchlaneContract.ENV_HANDLER));
                                })
                        .map(Map.Entry::getKey)
                        .toList();
        if (ids.size() != 1) {
            throw new AssertionError(
                    "expected one function with "
                            + BatchlaneContract.ENV_HANDLER
                            + "="
                            + handler.handlerName()
                            + ", found "
                            + ids);
        }
        return ids.get(0);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> environment(Handler handler) {
        Map<String, Object> env =
                (Map<String, Object>) properties(functionId(handler)).get("Environment");
        return (Map<String, Object>) env.get("Variables");
    }

    @SuppressWarnings("unchecked")
    static String roleId(Handler handler) {
        Map<String, Object> role =
                (Map<String, Object>) properties(functionId(handler)).get("Role");
        return ((List<String>) role.get("Fn::GetAtt")).get(0);
    }

    static String aliasId(Handler handler) {
        String function = functionId(handler);
        return resources("AWS::Lambda::Alias").entrySet().stream()
                .filter(
                        e ->
                                render(properties(e.getKey()).get("FunctionName"))
                                        .equals("${" + function + "}"))
                .map(Map.Entry::getKey)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no alias for " + handler));
    }

    /** Every statement of every IAM policy attached to this function's role. */
    static List<Statement> statements(Handler handler) {
        String role = "${" + roleId(handler) + "}";
        return allStatements().stream().filter(s -> s.roles().contains(role)).toList();
    }

    /**
     * Every statement of every identity policy in the template: inline, attached and role-embedded.
     */
    @SuppressWarnings("unchecked")
    static List<Statement> allStatements() {
        List<Statement> all = new ArrayList<>();
        for (String type : List.of("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")) {
            resources(type)
                    .forEach(
                            (id, resource) -> {
                                Map<String, Object> p =
                                        (Map<String, Object>) resource.get("Properties");
                                List<String> roles =
                                        list(p.get("Roles")).stream()
                                                .map(SynthesizedLane::render)
                                                .toList();
                                all.addAll(
                                        statementsOf(
                                                id,
                                                roles,
                                                (Map<String, Object>) p.get("PolicyDocument")));
                            });
        }
        resources("AWS::IAM::Role")
                .forEach(
                        (id, resource) -> {
                            Map<String, Object> p =
                                    (Map<String, Object>) resource.get("Properties");
                            for (Object policy : list(p.get("Policies"))) {
                                all.addAll(
                                        statementsOf(
                                                id,
                                                List.of("${" + id + "}"),
                                                (Map<String, Object>)
                                                        ((Map<String, Object>) policy)
                                                                .get("PolicyDocument")));
                            }
                        });
        return all;
    }

    @SuppressWarnings("unchecked")
    private static List<Statement> statementsOf(
            String policyId, List<String> roles, Map<String, Object> document) {
        return list(document.get("Statement")).stream()
                .map(
                        o -> {
                            Map<String, Object> s = (Map<String, Object>) o;
                            return new Statement(
                                    policyId,
                                    roles,
                                    String.valueOf(s.get("Effect")),
                                    list(s.get("Action")).stream().map(String::valueOf).toList(),
                                    list(s.get("Resource")).stream()
                                            .map(SynthesizedLane::render)
                                            .toList(),
                                    s.get("NotAction") != null || s.get("NotResource") != null,
                                    (Map<String, Object>) s.get("Condition"));
                        })
                .toList();
    }

    /** One IAM statement; actions and resources are IAM wildcards, resources rendered. */
    record Statement(
            String policy,
            List<String> roles,
            String effect,
            List<String> actions,
            List<String> resources,
            boolean negated,
            Map<String, Object> condition) {

        boolean allows(String action) {
            return "Allow".equals(effect)
                    && (negated
                            || actions.stream()
                                    .anyMatch(a -> wildcard(a, true).matcher(action).matches()));
        }

        /** Whether this statement allows the action on this concrete resource. */
        boolean allows(String action, String resource) {
            return allows(action)
                    && (negated
                            || resources.stream()
                                    .anyMatch(r -> wildcard(r, false).matcher(resource).matches()));
        }

        boolean allowsAnyOf(String... actions) {
            for (String action : actions) {
                if (allows(action)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** IAM's matching: {@code *} any run of characters, {@code ?} one; actions ignore case. */
    static Pattern wildcard(String pattern, boolean ignoreCase) {
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            if (c == '*' || c == '?') {
                regex.append(Pattern.quote(literal.toString())).append(c == '*' ? ".*" : ".");
                literal.setLength(0);
            } else {
                literal.append(c);
            }
        }
        regex.append(Pattern.quote(literal.toString()));
        return Pattern.compile(regex.toString(), ignoreCase ? Pattern.CASE_INSENSITIVE : 0);
    }

    /**
     * A CloudFormation value as one string: {@code Ref} → ${Id}, {@code GetAtt} → ${Id.Attr}, joins
     * concatenated.
     */
    @SuppressWarnings("unchecked")
    static String render(Object value) {
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof Map<?, ?> map && map.size() == 1) {
            Map.Entry<String, Object> e =
                    (Map.Entry<String, Object>) map.entrySet().iterator().next();
            switch (e.getKey()) {
                case "Ref":
                    return "${" + e.getValue() + "}";
                case "Fn::GetAtt":
                    return "${" + String.join(".", (List<String>) e.getValue()) + "}";
                case "Fn::Join":
                    {
                        List<Object> join = (List<Object>) e.getValue();
                        return ((List<Object>) join.get(1))
                                .stream()
                                        .map(SynthesizedLane::render)
                                        .collect(Collectors.joining((String) join.get(0)));
                    }
                default:
                    break;
            }
        }
        return String.valueOf(value);
    }

    static List<?> list(Object value) {
        if (value == null) {
            return List.of();
        }
        return value instanceof List<?> l ? l : List.of(value);
    }

    static String bucketArn() {
        return "${" + onlyResource("AWS::S3::Bucket") + ".Arn}";
    }

    static String object(String key) {
        return bucketArn() + "/" + key;
    }
}
