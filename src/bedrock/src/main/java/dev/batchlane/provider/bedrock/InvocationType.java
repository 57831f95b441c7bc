package dev.batchlane.provider.bedrock;

/** Bedrock's {@code modelInvocationType}: which request body a record's {@code modelInput} is. */
public enum InvocationType {
    INVOKE_MODEL("InvokeModel"),
    CONVERSE("Converse");

    private final String wire;

    InvocationType(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    /** The type for a metadata value, case-insensitive; null for anything else. */
    public static InvocationType parse(String value) {
        for (InvocationType t : values()) {
            if (t.wire.equalsIgnoreCase(value.trim())) {
                return t;
            }
        }
        return null;
    }
}
