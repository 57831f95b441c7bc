package dev.batchlane.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awscdk.App;
import software.amazon.awscdk.StackProps;

class BatchlaneAppTest {

    @Test
    void relativeFunctionZip_isResolvedAgainstTheRepositoryRoot_fromAnySubdirectory(
            @TempDir Path repo) throws IOException {
        Files.createDirectories(repo.resolve("functions"));
        Files.writeString(repo.resolve("functions/pom.xml"), "<project/>");
        Path cdk = Files.createDirectories(repo.resolve("infra/cdk"));
        Path expected = repo.resolve("functions/target/function.zip");
        assertThat(BatchlaneApp.resolve("functions/target/function.zip", cdk)).isEqualTo(expected);
        assertThat(BatchlaneApp.resolve("functions/target/function.zip", repo)).isEqualTo(expected);
    }

    @Test
    void absoluteFunctionZip_isTakenAsItIs(@TempDir Path dir) {
        Path zip = dir.resolve("elsewhere/function.zip");
        assertThat(BatchlaneApp.resolve(zip.toString(), dir)).isEqualTo(zip);
    }

    @Test
    void stack_isEnvironmentAgnostic_unlessTheCliFoundAnAccountAndRegion() {
        assertThat(BatchlaneApp.deploymentEnvironment(Map.of())).isNull();
        assertThat(
                        BatchlaneApp.deploymentEnvironment(
                                        Map.of(
                                                "CDK_DEFAULT_ACCOUNT",
                                                "123456789012",
                                                "CDK_DEFAULT_REGION",
                                                "eu-west-1"))
                                .getRegion())
                .isEqualTo("eu-west-1");
    }

    @Test
    void lane_withoutFunctionZip_failsNamingThePathAndHowToBuildIt(@TempDir Path dir) {
        String missing = dir.resolve("function.zip").toString();
        BatchlaneProps props = BatchlaneProps.defaults().withFunctionZip(missing);
        assertThatThrownBy(
                        () ->
                                new BatchlaneStack(
                                        new App(), "Lane", StackProps.builder().build(), props))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(missing)
                .hasMessageContaining("./mvnw -pl functions -am package");
    }
}
