package dev.batchlane.core.provider;

/**
 * What a provider found of an earlier creating call whose answer was lost. {@code evidence} says in
 * words what matched (metadata, file name and size, request count and creation time), for logs and
 * for people deciding about an undecided one.
 */
public record Reconciliation(
        Found found, String batchId, String inputFileId, String providerStatus, String evidence) {

    public enum Found {
        /** The batch the call created: adopt it. */
        BATCH,
        /** The input file the upload created (no batch yet): record it and create the batch. */
        FILE,
        /** Nothing the call could have made: it did not take effect, and may be made again. */
        NOTHING,
        /** Something that may be it, but not surely: do not create again yet; look again later. */
        UNDECIDED
    }

    public static Reconciliation batch(
            String batchId, String inputFileId, String providerStatus, String evidence) {
        return new Reconciliation(Found.BATCH, batchId, inputFileId, providerStatus, evidence);
    }

    public static Reconciliation file(String inputFileId, String evidence) {
        return new Reconciliation(Found.FILE, null, inputFileId, null, evidence);
    }

    public static Reconciliation nothing(String evidence) {
        return new Reconciliation(Found.NOTHING, null, null, null, evidence);
    }

    public static Reconciliation undecided(String evidence) {
        return new Reconciliation(Found.UNDECIDED, null, null, null, evidence);
    }
}
