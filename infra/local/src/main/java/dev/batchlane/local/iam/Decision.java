package dev.batchlane.local.iam;

/** What the evaluation of one {@link AccessRequest} decided, and which statement decided it. */
public record Decision(Outcome outcome, IamStatement statement) {

    public enum Outcome {
        ALLOWED,
        EXPLICIT_DENY,
        IMPLICIT_DENY
    }

    public boolean allowed() {
        return outcome == Outcome.ALLOWED;
    }

    /** The reason as AWS words it at the end of an AccessDenied message. */
    public String reason(String action, boolean byResourcePolicy) {
        return switch (outcome) {
            case ALLOWED -> "allowed by " + statement;
            case EXPLICIT_DENY ->
                    "with an explicit deny in "
                            + (byResourcePolicy
                                    ? "a resource-based policy"
                                    : "an identity-based policy");
            case IMPLICIT_DENY ->
                    "because no identity-based policy allows the " + action + " action";
        };
    }
}
