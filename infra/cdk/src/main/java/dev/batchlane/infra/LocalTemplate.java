package dev.batchlane.infra;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import software.amazon.awscdk.App;
import software.amazon.awscdk.StackProps;

/**
 * Synthesizes the lane as {@link BatchlaneApp} would, with the settings read the same way (CDK
 * context is absent here, so {@code BATCHLANE_CDK_*} variables and the defaults), and writes the
 * CloudFormation template to the one file named by the first argument. The build runs it (the
 * {@code local-template} execution in this module's pom) to give the local stack {@code
 * infra/cdk/target/batchlane-template.json}, from which it reads each function's memory, timeout,
 * ephemeral storage and JVM options: the template is the source of truth, not a copy.
 *
 * <p>A placeholder stands in for function.zip: a zip is deployed as it is, and the local stack
 * never reads the code out of the template, so synthesis needs neither the built functions nor a
 * copy of their 30 MB asset.
 */
public final class LocalTemplate {

    private LocalTemplate() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: LocalTemplate OUTPUT.json");
        }
        Path output = Path.of(args[0]).toAbsolutePath();
        Path work = Files.createTempDirectory("batchlane-synth");
        try {
            Path zip = work.resolve("placeholder.zip");
            try (OutputStream out = Files.newOutputStream(zip);
                    ZipOutputStream z = new ZipOutputStream(out)) {
                z.putNextEntry(new ZipEntry("placeholder.txt"));
                z.write(
                        "the local stack runs functions/target/*-runner.jar"
                                .getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
            BatchlaneProps props =
                    BatchlaneProps.from(key -> null, System.getenv())
                            .withFunctionZip(zip.toString());
            App app = App.Builder.create().outdir(work.resolve("cdk.out").toString()).build();
            BatchlaneStack stack =
                    new BatchlaneStack(
                            app,
                            props.stackName(),
                            StackProps.builder().stackName(props.stackName()).build(),
                            props);
            Path template =
                    Path.of(app.synth().getStackByName(stack.getStackName()).getTemplateFullPath());
            Files.createDirectories(output.getParent());
            Files.copy(template, output, StandardCopyOption.REPLACE_EXISTING);
            System.out.println("[batchlane] wrote the synthesized template to " + output);
        } finally {
            try (var walk = Files.walk(work)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
