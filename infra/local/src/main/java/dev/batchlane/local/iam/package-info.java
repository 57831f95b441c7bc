/**
 * IAM as deployed, on one machine: an enforcing proxy in front of the emulators that tells each
 * function by the access key it signs with, maps every call to its IAM action and resource, and
 * evaluates it against that function's role as the synthesized CDK template writes it (Allow, Deny,
 * wildcards, the conditions the construct uses). A denied call is answered the way the service
 * answers it, so the SDK in the function fails as it would on AWS. One rules class per service; a
 * call no rule maps is denied, so nothing passes unchecked.
 */
package dev.batchlane.local.iam;
