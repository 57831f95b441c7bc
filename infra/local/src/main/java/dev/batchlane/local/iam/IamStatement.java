package dev.batchlane.local.iam;

import java.util.List;
import java.util.Map;

/**
 * One statement of an IAM policy, its intrinsic functions already resolved to local names. {@code
 * conditions} is operator → condition key → values, as the policy language writes it.
 *
 * @param principals for a resource policy, the principals it names ("*" for anyone); empty for an
 *     identity policy
 * @param origin where the statement came from (policy resource and index), for messages and tests
 */
public record IamStatement(
        String sid,
        boolean allow,
        List<String> actions,
        boolean notAction,
        List<String> resources,
        boolean notResource,
        Map<String, Map<String, List<String>>> conditions,
        List<String> principals,
        String origin) {

    public IamStatement {
        actions = List.copyOf(actions);
        resources = List.copyOf(resources);
        conditions = Map.copyOf(conditions);
        principals = List.copyOf(principals);
    }

    @Override
    public String toString() {
        return (allow ? "Allow " : "Deny ")
                + (notAction ? "NotAction " : "")
                + actions
                + " on "
                + (notResource ? "NotResource " : "")
                + resources
                + (conditions.isEmpty() ? "" : " if " + conditions)
                + " ("
                + origin
                + ")";
    }
}
