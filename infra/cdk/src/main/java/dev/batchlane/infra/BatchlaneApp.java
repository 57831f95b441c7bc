package dev.batchlane.infra;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.StackProps;

/**
 * The CDK application: reads {@link BatchlaneProps} once from context and environment and
 * synthesizes one {@link BatchlaneStack}. {@code cdk synth -c functionZip=/path/function.zip}.
 */
public final class BatchlaneApp {

    private BatchlaneApp() {}

    public static void main(String[] args) {
        App app = new App();
        Map<String, String> environment = System.getenv();
        BatchlaneProps props = BatchlaneProps.from(app.getNode()::tryGetContext, environment);
        props =
                props.withFunctionZip(
                        resolve(props.functionZip(), Path.of("").toAbsolutePath()).toString());
        new BatchlaneStack(
                app,
                props.stackName(),
                StackProps.builder()
                        .stackName(props.stackName())
                        .description(
                                "Batchlane: an S3 bucket as the half-price lane for LLM batch APIs")
                        .env(deploymentEnvironment(environment))
                        .build(),
                props);
        app.synth();
    }

    /**
     * A relative function.zip is relative to the repository root, so the default works whether the
     * CLI runs in infra/cdk (cdk.json) or at the root: the nearest ancestor holding
     * functions/pom.xml.
     */
    static Path resolve(String functionZip, Path workingDirectory) {
        Path zip = Path.of(functionZip);
        if (zip.isAbsolute()) {
            return zip;
        }
        for (Path dir = workingDirectory; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("functions").resolve("pom.xml"))) {
                return dir.resolve(zip).normalize();
            }
        }
        return workingDirectory.resolve(zip).normalize();
    }

    /**
     * The account and region the CLI found in the credentials, when it found any; otherwise an
     * environment-agnostic stack, which still synthesizes offline.
     */
    static Environment deploymentEnvironment(Map<String, String> environment) {
        String account = environment.get("CDK_DEFAULT_ACCOUNT");
        String region = environment.get("CDK_DEFAULT_REGION");
        if (account == null || region == null) {
            return null;
        }
        return Environment.builder().account(account).region(region).build();
    }
}
