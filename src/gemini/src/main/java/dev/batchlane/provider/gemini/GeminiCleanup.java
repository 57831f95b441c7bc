package dev.batchlane.provider.gemini;

import dev.batchlane.core.provider.ProviderException;
import dev.batchlane.http.ProviderHttp;
import java.lang.System.Logger.Level;

/**
 * Deletes what a shard left at Google: its files and its batch. Gone already is the outcome cleanup
 * wanted, in whichever words the API says it.
 */
final class GeminiCleanup {
    // Logged under the adapter's name, as before the split, so operators' filters still match.
    private static final System.Logger LOG = System.getLogger(GeminiProvider.class.getName());

    private final ProviderHttp http;

    GeminiCleanup(ProviderHttp http) {
        this.http = http;
    }

    /**
     * Deletes each handle by its resource name: the input file, the responses file and the batch
     * (which travels as the error-file handle). Every one is attempted; the first failure is thrown
     * afterwards with the others suppressed. Gone already (404) is what cleanup wanted.
     */
    void cleanup(String inputFileId, String outputFileId, String errorFileId) {
        ProviderHttp.deleteEach(this::delete, inputFileId, outputFileId, errorFileId);
    }

    private void delete(String handle) {
        String path =
                handle.startsWith("batches/")
                        ? GeminiNames.batchPath(handle)
                        : GeminiNames.filePath(handle);
        String operation = handle.startsWith("batches/") ? "batches.delete" : "files.delete";
        try {
            http.sendJson(operation, http.request("v1beta/" + path).DELETE().build());
            LOG.log(Level.DEBUG, "deleted {0}", handle);
        } catch (ProviderException e) {
            // The Files API answers a file that no longer exists with 403 ("… or it may not
            // exist"); a wrong key would have failed every earlier call of the shard with 400, so
            // 403 here is gone.
            boolean gone =
                    e.statusCode() == 404
                            || (e.statusCode() == 403 && operation.equals("files.delete"));
            if (!gone) {
                throw e;
            }
        }
    }

    void deleteQuietly(String fileId) {
        try {
            delete(fileId);
        } catch (RuntimeException e) {
            LOG.log(
                    Level.WARNING,
                    "could not delete uploaded {0} after the batch was refused; it expires after 48 h",
                    fileId);
        }
    }
}
