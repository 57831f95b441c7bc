package dev.batchlane.provider.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The Bedrock control plane's service model (the botocore JSON), read from {@code ../shared/specs/}
 * beside the repository, and a checker of JSON bodies against its shapes: types, required members,
 * unknown members, patterns, enums, lengths, ranges, unions. Members bound to the URI or query are
 * skipped: they are not in a body.
 */
final class ServiceModel {
    static final String FILE = "bedrock-model-invocation-jobs.json";
    private final JsonNode shapes;
    private final JsonNode operations;

    private ServiceModel(JsonNode model) {
        this.shapes = model.path("shapes");
        this.operations = model.path("operations");
    }

    static Optional<ServiceModel> load() throws IOException {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve(".mvn"))) {
                Path file = dir.resolve("../shared/specs").resolve(FILE).normalize();
                return Files.isRegularFile(file)
                        ? Optional.of(new ServiceModel(new ObjectMapper().readTree(file.toFile())))
                        : Optional.empty();
            }
        }
        return Optional.empty();
    }

    JsonNode operation(String name) {
        return operations.path(name);
    }

    /** Problems of {@code body} against the shape; empty when it conforms. */
    List<String> check(String shape, JsonNode body) {
        List<String> problems = new ArrayList<>();
        check(shape, body, "$", problems);
        return problems;
    }

    private void check(String shapeName, JsonNode value, String at, List<String> problems) {
        JsonNode shape = shapes.path(shapeName);
        if (shape.isMissingNode()) {
            problems.add(at + ": the model has no shape " + shapeName);
            return;
        }
        switch (shape.path("type").asText()) {
            case "structure" -> {
                if (!value.isObject()) {
                    problems.add(at + ": " + shapeName + " must be an object");
                    return;
                }
                JsonNode members = shape.path("members");
                for (JsonNode req : shape.path("required")) {
                    JsonNode m = members.path(req.asText());
                    if (!m.has("location") && !value.has(req.asText())) {
                        problems.add(
                                at
                                        + ": required member "
                                        + req.asText()
                                        + " of "
                                        + shapeName
                                        + " is missing");
                    }
                }
                int set = 0;
                for (Iterator<String> it = value.fieldNames(); it.hasNext(); ) {
                    String f = it.next();
                    JsonNode m = members.get(f);
                    if (m == null) {
                        problems.add(at + ": " + shapeName + " has no member " + f);
                        continue;
                    }
                    if (!value.get(f).isNull()) {
                        set++;
                        check(m.path("shape").asText(), value.get(f), at + "." + f, problems);
                    }
                }
                if (shape.path("union").asBoolean(false) && set != 1) {
                    problems.add(
                            at
                                    + ": union "
                                    + shapeName
                                    + " must set exactly one member, set "
                                    + set);
                }
            }
            case "list" -> {
                if (!value.isArray()) {
                    problems.add(at + ": " + shapeName + " must be a list");
                    return;
                }
                range(shape, value.size(), at, shapeName, problems);
                for (int i = 0; i < value.size(); i++) {
                    check(
                            shape.path("member").path("shape").asText(),
                            value.get(i),
                            at + "[" + i + "]",
                            problems);
                }
            }
            case "string" -> {
                if (!value.isTextual()) {
                    problems.add(at + ": " + shapeName + " must be a string");
                    return;
                }
                String s = value.asText();
                range(shape, s.length(), at, shapeName, problems);
                if (shape.has("enum")) {
                    boolean found = false;
                    for (JsonNode e : shape.get("enum")) {
                        found |= e.asText().equals(s);
                    }
                    if (!found) {
                        problems.add(at + ": '" + s + "' is not in the enum " + shapeName);
                    }
                }
                // botocore patterns are unanchored Java-style regexes the service applies to the
                // whole value.
                if (shape.has("pattern")
                        && !Pattern.compile(shape.get("pattern").asText()).matcher(s).matches()) {
                    problems.add(at + ": '" + s + "' does not match the pattern of " + shapeName);
                }
            }
            case "integer", "long" -> {
                if (!value.isIntegralNumber()) {
                    problems.add(at + ": " + shapeName + " must be an integer");
                    return;
                }
                if (shape.has("min") && value.asLong() < shape.get("min").asLong()
                        || shape.has("max") && value.asLong() > shape.get("max").asLong()) {
                    problems.add(at + ": " + value + " is out of the range of " + shapeName);
                }
            }
            case "timestamp" -> {
                try {
                    Instant.parse(value.asText());
                } catch (RuntimeException e) {
                    problems.add(at + ": '" + value.asText() + "' is not an iso8601 timestamp");
                }
            }
            default ->
                    problems.add(
                            at
                                    + ": shape type "
                                    + shape.path("type").asText()
                                    + " is not checked here");
        }
    }

    private static void range(
            JsonNode shape, long n, String at, String name, List<String> problems) {
        if (shape.has("min") && n < shape.get("min").asLong()
                || shape.has("max") && n > shape.get("max").asLong()) {
            problems.add(at + ": length " + n + " is out of the range of " + name);
        }
    }
}
