package dev.batchlane.core.catalogue;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Whether a parsed input line has a provider's native shape; {@code ./batchlane run} picks the
 * provider of a file whose first line exactly one provider recognises.
 */
@FunctionalInterface
public interface LineShape {
    /** For providers whose lines another provider's shape already covers (compatible vendors). */
    LineShape NONE = line -> false;

    boolean matches(JsonNode line);

    /** A line that has every one of {@code fields} at its top level. */
    static LineShape hasFields(String... fields) {
        return line -> {
            for (String f : fields) {
                if (!line.has(f)) {
                    return false;
                }
            }
            return true;
        };
    }
}
