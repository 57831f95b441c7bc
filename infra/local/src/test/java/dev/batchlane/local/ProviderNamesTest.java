package dev.batchlane.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchlane.core.catalogue.ProviderCatalogue;
import dev.batchlane.core.catalogue.ProviderDescriptor;
import dev.batchlane.core.catalogue.ProviderRegistration;
import dev.batchlane.core.money.ModelPrice;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Nothing outside a provider's module names it": every provider the catalogue registers is looked
 * for, case-insensitively, in the code (comments aside) and the resources of every production
 * source of the repository. A name may appear only in the module that registers it and in the few
 * registration files listed here; anywhere else a host grew a provider-specific branch instead of
 * reading the catalogue. The models a provider prices (its descriptor's price rows) are its words
 * too: outside the providers' modules, a model name in code or in a resource (the core's price
 * table once listed every provider's models) is an offence as well.
 */
class ProviderNamesTest {

    /**
     * Files (relative to the repository, '/'-separated, a trailing '/' for a folder) that may name
     * any provider, and why.
     */
    private static final Map<String, String> REGISTRATIONS =
            Map.of(
                    "infra/local/src/main/java/dev/batchlane/local/standin/SimulatorRegistry.java",
                    "the local stack's registration: one line per provider's simulator",
                    "src/simulator/",
                    "the simulators: one package per provider, by design",
                    "infra/local/src/main/java/dev/batchlane/local/iam/",
                    "the IAM enforcement models AWS services (Amazon Bedrock among them), not"
                            + " providers",
                    "src/bench/",
                    "benchmarks drive chosen providers on purpose; built only with -Pbench");

    /** A provider's module that may name another provider, and why ({@code module/} → name). */
    private static final Map<String, Map<String, String>> NAMED_ELSEWHERE =
            Map.of(
                    "src/bedrock/",
                    Map.of(
                            "anthropic",
                            "Bedrock's model ids start with the model's maker"
                                    + " (anthropic.claude-3-haiku-…), a word of Bedrock's own"));

    @Test
    void noProductionCodeNamesAProvider_outsideItsModuleAndItsRegistrations() throws Exception {
        Path root = repositoryRoot();
        ProviderCatalogue catalogue = ProviderCatalogue.load();
        assertThat(catalogue.names()).as("the catalogue on this class path").hasSizeGreaterThan(1);
        Map<String, Path> moduleOf = new TreeMap<>();
        Map<String, Set<String>> modelsOf = new TreeMap<>();
        for (ProviderRegistration r : catalogue.registrations()) {
            moduleOf.put(r.descriptor().name(), moduleOf(root, r.getClass()));
            modelsOf.put(r.descriptor().name(), models(r.descriptor()));
        }
        List<String> offences = offences(root, moduleOf, modelsOf);
        assertThat(offences).as("provider names outside their modules").isEmpty();
    }

    /**
     * The core's price table is built from these rows; a provider without any would leave every
     * budget on its files unprovable (price_unknown) and its bills incomplete.
     */
    @Test
    void everyProvider_shipsItsOwnPriceRows() {
        for (ProviderDescriptor d : ProviderCatalogue.load().descriptors()) {
            assertThat(d.prices().rows()).as("the price rows of %s", d.name()).isNotEmpty();
        }
    }

    /** A repository of three modules: the core, a provider "acme" and a host. */
    private static void acmeRepository(Path root) throws IOException {
        Files.writeString(
                root.resolve("pom.xml"),
                "<modules><module>src/core</module><module>src/acme</module>"
                        + "<module>host</module></modules>");
        write(root.resolve("src/acme/src/main/java/a/AcmeProvider.java"), "class AcmeProvider {}");
    }

    @Test
    void aModelOrProviderNameInACoreResource_orAModelNameInHostCode_isAnOffence(@TempDir Path root)
            throws IOException {
        acmeRepository(root);
        write(
                root.resolve("src/acme/src/main/resources/a/prices/acme.json"),
                "{\"models\": [{\"provider\": \"acme\", \"model\": \"rocket-7b\"}]}");
        write(
                root.resolve("src/core/src/main/resources/dev/prices.json"),
                "{\"models\": [\n{\"provider\": \"acme\", \"model\": \"rocket-7b\"}]}");
        write(
                root.resolve("host/src/main/java/h/Defaults.java"),
                "// rocket-7b is fine in a comment\nclass D {\n  String m = \"ROCKET-7B-0925\";\n}");
        write(
                root.resolve("host/src/main/java/h/Words.java"),
                "class W {\n  String a = \"superrocket-7b\", b = \"rocket-7bx\";\n}");
        write(root.resolve("host/src/main/resources/application.properties"), "# acme\nx=1\n");
        assertThat(
                        offences(
                                root,
                                Map.of("acme", root.resolve("src/acme")),
                                Map.of("acme", Set.of("rocket-7b"))))
                .map(o -> o.substring(0, o.indexOf(';')))
                .containsExactlyInAnyOrder(
                        "host/src/main/java/h/Defaults.java names model 'rocket-7b' of 'acme'"
                                + " (line 3)",
                        "src/core/src/main/resources/dev/prices.json names 'acme' (line 2)",
                        "src/core/src/main/resources/dev/prices.json names model 'rocket-7b' of"
                                + " 'acme' (line 2)");
    }

    @Test
    void aNameInAnotherModulesCode_isAnOffence_butNotInItsOwnModuleOrInAComment(@TempDir Path root)
            throws IOException {
        acmeRepository(root);
        write(root.resolve("host/src/main/java/h/Quiet.java"), "// acme is fine here\nclass Q {}");
        write(
                root.resolve("host/src/main/java/h/Wiring.java"),
                "class W {\n  Object p = new dev.AcmeProvider();\n}");
        assertThat(offences(root, Map.of("acme", root.resolve("src/acme")), Map.of()))
                .singleElement()
                .asString()
                .startsWith("host/src/main/java/h/Wiring.java names 'acme' (line 2)");
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    @Test
    void theScannerSeesNamesInCode_andNotInComments() {
        String code =
                withoutComments(
                        "// openai\n/* anthropic */ String s = \"gemini\"; /** bedrock\n */ int x;");
        assertThat(code).contains("gemini").doesNotContain("openai", "anthropic", "bedrock");
        assertThat(withoutComments("String url = \"http://x\"; // groq"))
                .contains("http://x")
                .doesNotContain("groq");
    }

    /** Java source with its comments blanked (string and char literals kept, newlines kept). */
    static String withoutComments(String src) {
        StringBuilder out = new StringBuilder(src.length());
        int i = 0;
        while (i < src.length()) {
            char c = src.charAt(i);
            if (c == '"' || c == '\'') {
                boolean block = src.startsWith("\"\"\"", i);
                int end = block ? src.indexOf("\"\"\"", i + 3) : i + 1;
                if (!block) {
                    while (end < src.length() && src.charAt(end) != c) {
                        end += src.charAt(end) == '\\' ? 2 : 1;
                    }
                }
                end = Math.min(src.length(), block ? end + 3 : end + 1);
                out.append(src, i, end);
                i = end;
            } else if (src.startsWith("//", i)) {
                int end = src.indexOf('\n', i);
                i = end < 0 ? src.length() : end;
            } else if (src.startsWith("/*", i)) {
                int end = src.indexOf("*/", i + 2);
                String comment = src.substring(i, end < 0 ? src.length() : end + 2);
                out.append(comment.replaceAll("[^\n]", ""));
                i = end < 0 ? src.length() : end + 2;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** The models {@code d} prices, lower case as the scanner compares them. */
    private static Set<String> models(ProviderDescriptor d) {
        Set<String> models = new TreeSet<>();
        for (ModelPrice row : d.prices().rows()) {
            models.add(row.model().toLowerCase(Locale.ROOT));
        }
        return models;
    }

    /**
     * Every production source (code and resources) of the modules {@code root}'s pom builds that
     * names a provider outside the module registering it ({@code moduleOf}) and the allowed places,
     * or, outside every provider's module, a model one of them prices ({@code modelsOf}).
     */
    static List<String> offences(
            Path root, Map<String, Path> moduleOf, Map<String, Set<String>> modelsOf)
            throws IOException {
        List<String> offences = new ArrayList<>();
        List<Path> sources = new ArrayList<>();
        for (String module : modules(root)) {
            Path main = root.resolve(module).resolve("src/main/java");
            if (Files.isDirectory(main)) {
                try (Stream<Path> walk = Files.walk(main)) {
                    walk.filter(p -> p.toString().endsWith(".java")).forEach(sources::add);
                }
            }
            Path resources = root.resolve(module).resolve("src/main/resources");
            if (Files.isDirectory(resources)) {
                try (Stream<Path> walk = Files.walk(resources)) {
                    walk.filter(Files::isRegularFile).forEach(sources::add);
                }
            }
        }
        if (sources.isEmpty()) {
            throw new AssertionError("no production sources under " + root);
        }
        for (Path file : sources) {
            String rel = root.relativize(file).toString().replace('\\', '/');
            if (REGISTRATIONS.keySet().stream().anyMatch(rel::startsWith)) {
                continue;
            }
            String code = textOf(file).toLowerCase(Locale.ROOT);
            if (moduleOf.values().stream().noneMatch(file::startsWith)) {
                modelOffences(rel, code, modelsOf, moduleOf, root, offences);
            }
            for (Map.Entry<String, Path> provider : moduleOf.entrySet()) {
                if (file.startsWith(provider.getValue())
                        || NAMED_ELSEWHERE.entrySet().stream()
                                .anyMatch(
                                        e ->
                                                rel.startsWith(e.getKey())
                                                        && e.getValue()
                                                                .containsKey(provider.getKey()))) {
                    continue;
                }
                int at = code.indexOf(provider.getKey());
                if (at >= 0) {
                    offences.add(
                            rel
                                    + " names '"
                                    + provider.getKey()
                                    + "' (line "
                                    + lineOf(code, at)
                                    + "); read it from the catalogue, or register it in "
                                    + root.relativize(provider.getValue()));
                }
            }
        }
        return offences;
    }

    /** A source's text as the scanner reads it: code without comments, a resource whole. */
    private static String textOf(Path file) throws IOException {
        // Decoded leniently: a resource need not be UTF-8 text to be scanned.
        String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        String name = file.getFileName().toString();
        if (name.endsWith(".java")) {
            return withoutComments(text);
        }
        if (name.endsWith(".properties")) {
            return text.replaceAll("(?m)^[ \\t]*[#!].*$", "");
        }
        return text;
    }

    /**
     * The models in {@code code} (a whole name, not part of a longer word: {@code o3} in {@code
     * o3-mini} counts, in {@code foo3} it does not).
     */
    private static void modelOffences(
            String rel,
            String code,
            Map<String, Set<String>> modelsOf,
            Map<String, Path> moduleOf,
            Path root,
            List<String> offences) {
        for (Map.Entry<String, Set<String>> provider : modelsOf.entrySet()) {
            for (String model : provider.getValue()) {
                Matcher m =
                        Pattern.compile("(?<![a-z0-9])" + Pattern.quote(model) + "(?![a-z0-9])")
                                .matcher(code);
                if (m.find()) {
                    offences.add(
                            rel
                                    + " names model '"
                                    + model
                                    + "' of '"
                                    + provider.getKey()
                                    + "' (line "
                                    + lineOf(code, m.start())
                                    + "); a model belongs in its provider's price rows in "
                                    + root.relativize(moduleOf.get(provider.getKey())));
                }
            }
        }
    }

    /** The modules the root pom builds. */
    private static List<String> modules(Path root) throws IOException {
        List<String> modules = new ArrayList<>();
        var m =
                Pattern.compile("<module>([^<]+)</module>")
                        .matcher(Files.readString(root.resolve("pom.xml")));
        while (m.find()) {
            modules.add(m.group(1).trim());
        }
        return modules;
    }

    private static int lineOf(String text, int index) {
        return (int) text.substring(0, index).chars().filter(ch -> ch == '\n').count() + 1;
    }

    /** The Maven module (folder with a pom.xml) whose build produced {@code type}. */
    private static Path moduleOf(Path root, Class<?> type) throws URISyntaxException {
        Path location = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path dir = Files.isDirectory(location) ? location : location.getParent();
        while (dir != null && !Files.isRegularFile(dir.resolve("pom.xml"))) {
            dir = dir.getParent();
        }
        assertThat(dir)
                .as("the module of %s (loaded from %s) is in this repository", type, location)
                .isNotNull()
                .satisfies(d -> assertThat(d.startsWith(root)).isTrue());
        return dir;
    }

    private static Path repositoryRoot() throws IOException {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path pom = dir.resolve("pom.xml");
            if (Files.isRegularFile(pom)
                    && Files.readString(pom).contains("<module>src/core</module>")) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException(
                "not inside the repository: " + Path.of("").toAbsolutePath());
    }
}
