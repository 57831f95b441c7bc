package dev.batchlane.simulator.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The provider's OpenAPI document, read from {@code ../shared/specs/} next to the repository (it is
 * the provider's file, not ours, so it is never copied into the project), with its component
 * schemas usable as JSON Schema 2020-12, which OpenAPI 3.1 schemas are.
 */
public final class OpenApiSpec {
    /** An absolute id for the document, so {@code #/components/...} refs resolve inside it. */
    private static final String DOCUMENT_ID = "https://specs.batchlane.local/spec.yaml";

    private final JsonNode document;
    private final JsonSchemaFactory factory =
            JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private final Map<String, JsonSchema> schemas = new ConcurrentHashMap<>();

    private OpenApiSpec(JsonNode document) {
        this.document = document;
    }

    /**
     * The specs directory, found from the working directory via the repository root (the dir with
     * .mvn).
     */
    public static Optional<Path> specsDir() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve(".mvn"))) {
                Path specs = dir.resolve("../shared/specs").normalize();
                return Files.isDirectory(specs) ? Optional.of(specs) : Optional.empty();
            }
        }
        return Optional.empty();
    }

    public static OpenApiSpec load(Path file) throws IOException {
        return new OpenApiSpec(new ObjectMapper(new YAMLFactory()).readTree(file.toFile()));
    }

    public JsonNode document() {
        return document;
    }

    /**
     * Validation messages of {@code instance} against {@code #/components/schemas/<name>}; empty
     * when valid.
     */
    public Set<ValidationMessage> validate(String schemaName, JsonNode instance) {
        if (!document.at("/components/schemas/" + schemaName).isObject()) {
            throw new IllegalArgumentException("the spec has no schema " + schemaName);
        }
        JsonSchema schema =
                schemas.computeIfAbsent(
                        schemaName,
                        name -> {
                            // The whole document is the schema resource, so that every
                            // "#/components/schemas/X"
                            // inside it resolves; a root $ref selects the component. OpenAPI's own
                            // top-level
                            // fields (openapi, info, paths, ...) are not JSON Schema keywords and
                            // are ignored.
                            ObjectNode root = document.deepCopy();
                            root.put("$id", DOCUMENT_ID);
                            root.put("$ref", "#/components/schemas/" + name);
                            return factory.getSchema(root);
                        });
        return schema.validate(instance);
    }
}
