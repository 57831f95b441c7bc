package dev.batchlane.simulator.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Google API Discovery document (the format Google publishes its REST contracts in), used to
 * check JSON against its schemas the way Google's servers parse it: proto3 JSON, so a field may be
 * spelled lowerCamelCase or as in the proto (snake_case), an unknown field is an error, int64
 * values travel as strings (requests may also send numbers), enums are closed, timestamps are RFC
 * 3339. The document is the provider's file, read from where it lies, never copied into the
 * project.
 */
public final class DiscoveryDocument {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final JsonNode document;

    private DiscoveryDocument(JsonNode document) {
        this.document = document;
    }

    public static DiscoveryDocument load(Path file) throws IOException {
        return new DiscoveryDocument(JSON.readTree(Files.readAllBytes(file)));
    }

    /**
     * {@code ../shared/specs/<file>} next to the repository root (the directory holding .mvn), if
     * present.
     */
    public static Optional<Path> find(String fileName) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve(".mvn"))) {
                Path file = dir.resolve("../shared/specs").resolve(fileName).normalize();
                return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
            }
        }
        return Optional.empty();
    }

    public JsonNode document() {
        return document;
    }

    /**
     * The method of this id ({@code batches.get}, {@code media.upload}, …), searched through every
     * resource.
     */
    public JsonNode method(String id) {
        JsonNode found = findMethod(document.path("resources"), id);
        if (found == null) {
            throw new IllegalArgumentException("the discovery document has no method " + id);
        }
        return found;
    }

    private static JsonNode findMethod(JsonNode resources, String id) {
        for (JsonNode r : resources) {
            for (JsonNode m : r.path("methods")) {
                if (id.equals(m.path("id").asText()) || m.path("id").asText().endsWith("." + id)) {
                    return m;
                }
            }
            JsonNode nested = findMethod(r.path("resources"), id);
            if (nested != null) {
                return nested;
            }
        }
        return null;
    }

    /**
     * Problems of {@code instance} as a request body of schema {@code name}; empty when it
     * conforms.
     */
    public List<String> checkRequest(String name, JsonNode instance) {
        return check(name, instance, false);
    }

    /**
     * Problems of {@code instance} as a response of schema {@code name}: int64 must be a string.
     */
    public List<String> checkResponse(String name, JsonNode instance) {
        return check(name, instance, true);
    }

    private List<String> check(String name, JsonNode instance, boolean response) {
        JsonNode schema = document.path("schemas").get(name);
        if (schema == null) {
            throw new IllegalArgumentException("the discovery document has no schema " + name);
        }
        List<String> problems = new ArrayList<>();
        check(instance, schema, name, response, problems, 0);
        return problems;
    }

    private void check(
            JsonNode value,
            JsonNode schema,
            String at,
            boolean response,
            List<String> out,
            int depth) {
        if (depth > 64) {
            out.add(at + ": nested too deeply");
            return;
        }
        if (schema.has("$ref")) {
            String ref = schema.get("$ref").asText();
            JsonNode target = document.path("schemas").get(ref);
            if (target == null) {
                out.add(at + ": the document has no schema " + ref);
                return;
            }
            check(value, target, at, response, out, depth + 1);
            return;
        }
        String type = schema.path("type").asText("any");
        switch (type) {
            case "any" -> {}
            case "object" -> checkObject(value, schema, at, response, out, depth);
            case "array" -> {
                if (!value.isArray()) {
                    out.add(at + ": must be an array, found " + kind(value));
                    return;
                }
                int i = 0;
                for (JsonNode item : value) {
                    check(
                            item,
                            schema.path("items"),
                            at + "[" + i++ + "]",
                            response,
                            out,
                            depth + 1);
                }
            }
            case "string" -> checkString(value, schema, at, response, out);
            case "integer" -> {
                boolean digits = !response && value.isTextual() && value.asText().matches("-?\\d+");
                if (!value.isIntegralNumber() && !digits) {
                    out.add(at + ": must be an integer, found " + kind(value));
                }
            }
            case "number" -> {
                if (!value.isNumber()) {
                    out.add(at + ": must be a number, found " + kind(value));
                }
            }
            case "boolean" -> {
                if (!value.isBoolean()) {
                    out.add(at + ": must be a boolean, found " + kind(value));
                }
            }
            default ->
                    out.add(
                            at
                                    + ": the document uses type '"
                                    + type
                                    + "', which this checker does not know");
        }
    }

    private void checkObject(
            JsonNode value,
            JsonNode schema,
            String at,
            boolean response,
            List<String> out,
            int depth) {
        if (!value.isObject()) {
            out.add(at + ": must be an object, found " + kind(value));
            return;
        }
        JsonNode properties = schema.path("properties");
        JsonNode additional = schema.get("additionalProperties");
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = camel(field.getKey());
            JsonNode property = properties.get(name);
            if (property != null) {
                check(field.getValue(), property, at + "." + name, response, out, depth + 1);
            } else if (additional != null) {
                check(
                        field.getValue(),
                        additional,
                        at + "." + field.getKey(),
                        response,
                        out,
                        depth + 1);
            } else if (!field.getKey().equals("@type")) {
                out.add(at + ": unknown name \"" + field.getKey() + "\": cannot find field");
            }
        }
    }

    private static void checkString(
            JsonNode value, JsonNode schema, String at, boolean response, List<String> out) {
        String format = schema.path("format").asText("");
        boolean int64 = format.equals("int64") || format.equals("uint64");
        if (int64 && !response && value.isIntegralNumber()) {
            return;
        }
        if (!value.isTextual()) {
            out.add(
                    at
                            + ": must be a string"
                            + (int64 ? " holding an int64" : "")
                            + ", found "
                            + kind(value));
            return;
        }
        String s = value.asText();
        JsonNode values = schema.get("enum");
        if (values != null) {
            boolean known = false;
            for (JsonNode v : values) {
                known |= v.asText().equals(s);
            }
            if (!known) {
                out.add(at + ": '" + s + "' is not one of " + values);
            }
        }
        switch (format) {
            case "int64", "uint64" -> {
                if (!s.matches("-?\\d+")) {
                    out.add(at + ": '" + s + "' is not an int64");
                }
            }
            case "google-datetime" -> {
                try {
                    Instant.parse(s);
                } catch (DateTimeParseException e) {
                    out.add(at + ": '" + s + "' is not an RFC 3339 timestamp");
                }
            }
            case "byte" -> {
                try {
                    Base64.getDecoder().decode(s.replace('-', '+').replace('_', '/'));
                } catch (IllegalArgumentException e) {
                    out.add(at + ": not base64");
                }
            }
            default -> {}
        }
    }

    /**
     * The proto3 JSON mapping: {@code max_output_tokens} names the field {@code maxOutputTokens}.
     */
    static String camel(String name) {
        if (name.indexOf('_') < 0) {
            return name;
        }
        StringBuilder b = new StringBuilder(name.length());
        boolean up = false;
        for (char c : name.toCharArray()) {
            if (c == '_') {
                up = true;
            } else {
                b.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return b.toString();
    }

    private static String kind(JsonNode node) {
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }
}
