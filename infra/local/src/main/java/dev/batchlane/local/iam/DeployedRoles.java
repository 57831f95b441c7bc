package dev.batchlane.local.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Each function's role policy and the bucket's policy, read from the CloudFormation template the
 * CDK app synthesizes, with Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select and Fn::Split resolved
 * to the names the local stack gives the resources. A function is found by its {@code
 * QUARKUS_LAMBDA_HANDLER} variable; its role by its {@code Role} property; its statements from
 * every {@code AWS::IAM::Policy} attached to that role and the role's own inline policies. A
 * managed policy ARN on a function's role is refused: its text is not in the template, so nothing
 * here could enforce it.
 */
public final class DeployedRoles {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SUB = Pattern.compile("\\$\\{([^}!][^}]*)}");

    /** The names of one local deployment: the stack's bucket and table, region and account. */
    public record LocalNames(
            String region,
            String account,
            String bucket,
            String table,
            String streamArn,
            String sqsEndpoint) {

        /**
         * Names whose queue URLs are on no server ({@code http://sqs.<region>.localhost}): enough
         * to enforce policies, which name queues by ARN.
         */
        public LocalNames(
                String region, String account, String bucket, String table, String streamArn) {
            this(region, account, bucket, table, streamArn, "http://sqs." + region + ".localhost");
        }

        /** A queue's URL on the local SQS server, as its Ref resolves. */
        public String queueUrl(String name) {
            return sqsEndpoint.replaceAll("/$", "") + "/" + account + "/" + name;
        }

        public String bucketArn() {
            return "arn:aws:s3:::" + bucket;
        }

        public String tableArn() {
            return "arn:aws:dynamodb:" + region + ":" + account + ":table/" + table;
        }
    }

    /**
     * A function's role: its ARN and statements, and the environment the template gives the
     * function.
     */
    public record Role(
            String function,
            String roleArn,
            List<IamStatement> statements,
            Map<String, String> environment) {
        public Role {
            statements = List.copyOf(statements);
            environment = Map.copyOf(environment);
        }
    }

    private final Map<String, Role> roles;
    private final List<IamStatement> bucketPolicy;
    private final String bucketKmsKey;
    private final Path source;

    private DeployedRoles(
            Map<String, Role> roles,
            List<IamStatement> bucketPolicy,
            String bucketKmsKey,
            Path source) {
        this.roles = roles;
        this.bucketPolicy = bucketPolicy;
        this.bucketKmsKey = bucketKmsKey;
        this.source = source;
    }

    public static DeployedRoles read(Path template, LocalNames names) throws IOException {
        if (!Files.isRegularFile(template)) {
            throw new IllegalStateException(
                    "the template "
                            + template
                            + " to take the functions' IAM policies from"
                            + " is missing");
        }
        JsonNode root = JSON.readTree(template.toFile());
        Resolver resolve = new Resolver(root.path("Resources"), names, template);
        Map<String, Role> roles = new TreeMap<>();
        JsonNode resources = root.path("Resources");
        for (var it = resources.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode r = e.getValue();
            JsonNode handler = r.at("/Properties/Environment/Variables/QUARKUS_LAMBDA_HANDLER");
            if (!"AWS::Lambda::Function".equals(r.path("Type").asText())
                    || handler.isMissingNode()) {
                continue;
            }
            String function = handler.asText();
            JsonNode roleRef = r.at("/Properties/Role/Fn::GetAtt/0");
            if (roleRef.isMissingNode()) {
                throw new IllegalStateException(
                        template
                                + ": the role of "
                                + e.getKey()
                                + " is not a role of the"
                                + " template ("
                                + r.at("/Properties/Role")
                                + "); the local stack cannot enforce it");
            }
            String roleId = roleRef.asText();
            JsonNode role = resources.path(roleId);
            if (role.at("/Properties/ManagedPolicyArns").size() > 0) {
                throw new IllegalStateException(
                        template
                                + ": the role "
                                + roleId
                                + " of "
                                + function
                                + " has managed policies "
                                + role.at("/Properties/ManagedPolicyArns")
                                + "; their text is not in the template, so the local stack cannot enforce them");
            }
            List<IamStatement> statements = new ArrayList<>();
            int n = 0;
            for (JsonNode p : role.at("/Properties/Policies")) {
                statements.addAll(
                        statements(
                                p.path("PolicyDocument"),
                                resolve,
                                roleId + ".Policies[" + n++ + "]"));
            }
            for (var pit = resources.fields(); pit.hasNext(); ) {
                var pe = pit.next();
                JsonNode p = pe.getValue();
                if (!"AWS::IAM::Policy".equals(p.path("Type").asText())) {
                    continue;
                }
                for (JsonNode attached : p.at("/Properties/Roles")) {
                    if (roleId.equals(attached.path("Ref").asText())) {
                        statements.addAll(
                                statements(
                                        p.at("/Properties/PolicyDocument"), resolve, pe.getKey()));
                    }
                }
            }
            Map<String, String> env = new LinkedHashMap<>();
            for (var vit = r.at("/Properties/Environment/Variables").fields(); vit.hasNext(); ) {
                var v = vit.next();
                env.put(v.getKey(), resolve.text(v.getValue()));
            }
            String roleArn = resolve.text(r.at("/Properties/Role"));
            if (roles.put(function, new Role(function, roleArn, statements, env)) != null) {
                throw new IllegalStateException(
                        template + " has two functions with QUARKUS_LAMBDA_HANDLER=" + function);
            }
        }
        List<IamStatement> bucketPolicy = new ArrayList<>();
        String kmsKey = null;
        for (var it = resources.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode r = e.getValue();
            if ("AWS::S3::BucketPolicy".equals(r.path("Type").asText())) {
                bucketPolicy.addAll(
                        statements(r.at("/Properties/PolicyDocument"), resolve, e.getKey()));
            }
            if ("AWS::S3::Bucket".equals(r.path("Type").asText())) {
                JsonNode key =
                        r.at(
                                "/Properties/BucketEncryption/ServerSideEncryptionConfiguration/0"
                                        + "/ServerSideEncryptionByDefault");
                if ("aws:kms".equals(key.path("SSEAlgorithm").asText())) {
                    kmsKey = resolve.text(key.path("KMSMasterKeyID"));
                }
            }
        }
        return new DeployedRoles(roles, List.copyOf(bucketPolicy), kmsKey, template);
    }

    static List<IamStatement> statements(JsonNode document, Resolver resolve, String origin) {
        List<IamStatement> out = new ArrayList<>();
        int i = 0;
        for (JsonNode s : document.path("Statement")) {
            String where = origin + "[" + i++ + "]";
            boolean notAction = s.has("NotAction");
            boolean notResource = s.has("NotResource");
            Map<String, Map<String, List<String>>> conditions = new LinkedHashMap<>();
            for (var op = s.path("Condition").fields(); op.hasNext(); ) {
                var o = op.next();
                Map<String, List<String>> keys = new LinkedHashMap<>();
                for (var k = o.getValue().fields(); k.hasNext(); ) {
                    var kv = k.next();
                    keys.put(kv.getKey(), resolve.texts(kv.getValue()));
                }
                conditions.put(o.getKey(), keys);
            }
            List<String> principals = new ArrayList<>();
            JsonNode principal = s.path("Principal");
            if (principal.isTextual()) {
                principals.add(principal.asText());
            } else {
                principals.addAll(resolve.texts(principal.path("AWS")));
            }
            out.add(
                    new IamStatement(
                            s.path("Sid").asText(null),
                            "Allow".equals(s.path("Effect").asText()),
                            resolve.texts(s.path(notAction ? "NotAction" : "Action")),
                            notAction,
                            resolve.texts(s.path(notResource ? "NotResource" : "Resource")),
                            notResource,
                            conditions,
                            principals,
                            where));
        }
        return out;
    }

    public Role role(String function) {
        Role r = roles.get(function);
        if (r == null) {
            throw new IllegalStateException(
                    source
                            + " has no function with QUARKUS_LAMBDA_HANDLER="
                            + function
                            + " (found "
                            + roles.keySet()
                            + ")");
        }
        return r;
    }

    public Map<String, Role> roles() {
        return roles;
    }

    public List<IamStatement> bucketPolicy() {
        return bucketPolicy;
    }

    /** The KMS key the bucket encrypts new objects with by default; null without SSE-KMS. */
    public String bucketKmsKey() {
        return bucketKmsKey;
    }

    public Path source() {
        return source;
    }

    /** Resolves intrinsic functions to the local stack's names. */
    static final class Resolver {
        private final JsonNode resources;
        private final LocalNames names;
        private final Path template;

        Resolver(JsonNode resources, LocalNames names, Path template) {
            this.resources = resources;
            this.names = names;
            this.template = template;
        }

        List<String> texts(JsonNode node) {
            List<String> out = new ArrayList<>();
            if (node.isArray()) {
                for (JsonNode n : node) {
                    out.addAll(texts(n));
                }
            } else if (!node.isMissingNode() && !node.isNull()) {
                JsonNode v = value(node);
                if (v.isArray()) {
                    v.forEach(x -> out.add(x.asText()));
                } else {
                    out.add(v.asText());
                }
            }
            return out;
        }

        String text(JsonNode node) {
            return value(node).asText();
        }

        private JsonNode value(JsonNode node) {
            if (!node.isObject() || node.size() != 1) {
                return node;
            }
            var f = node.fields().next();
            JsonNode arg = f.getValue();
            return switch (f.getKey()) {
                case "Ref" -> JSON.getNodeFactory().textNode(ref(arg.asText()));
                case "Fn::GetAtt" ->
                        JSON.getNodeFactory()
                                .textNode(
                                        arg.isArray()
                                                ? getAtt(arg.get(0).asText(), arg.get(1).asText())
                                                : getAtt(
                                                        arg.asText()
                                                                .substring(
                                                                        0,
                                                                        arg.asText().indexOf('.')),
                                                        arg.asText()
                                                                .substring(
                                                                        arg.asText().indexOf('.')
                                                                                + 1)));
                case "Fn::Join" -> {
                    List<String> parts = new ArrayList<>();
                    for (JsonNode p : arg.get(1)) {
                        parts.add(text(p));
                    }
                    yield JSON.getNodeFactory().textNode(String.join(arg.get(0).asText(), parts));
                }
                case "Fn::Sub" -> JSON.getNodeFactory().textNode(sub(arg));
                case "Fn::Select" -> value(value(arg.get(1)).get(value(arg.get(0)).asInt()));
                case "Fn::Split" -> {
                    var array = JSON.createArrayNode();
                    for (String s :
                            text(arg.get(1)).split(Pattern.quote(arg.get(0).asText()), -1)) {
                        array.add(s);
                    }
                    yield array;
                }
                default -> {
                    if (f.getKey().startsWith("Fn::")) {
                        throw new IllegalStateException(
                                template
                                        + ": the local stack cannot resolve "
                                        + f.getKey()
                                        + " in "
                                        + node
                                        + " to enforce the policies; add it to "
                                        + Resolver.class.getName());
                    }
                    yield node;
                }
            };
        }

        private String sub(JsonNode arg) {
            String text = arg.isArray() ? arg.get(0).asText() : arg.asText();
            Map<String, String> vars = new HashMap<>();
            if (arg.isArray()) {
                for (var it = arg.get(1).fields(); it.hasNext(); ) {
                    var v = it.next();
                    vars.put(v.getKey(), text(v.getValue()));
                }
            }
            Matcher m = SUB.matcher(text);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String name = m.group(1);
                String value =
                        vars.containsKey(name)
                                ? vars.get(name)
                                : name.contains(".") && !name.startsWith("AWS::")
                                        ? getAtt(
                                                name.substring(0, name.indexOf('.')),
                                                name.substring(name.indexOf('.') + 1))
                                        : ref(name);
                m.appendReplacement(sb, Matcher.quoteReplacement(value));
            }
            m.appendTail(sb);
            return sb.toString().replace("${!", "${");
        }

        private JsonNode resource(String id) {
            JsonNode r = resources.path(id);
            if (r.isMissingNode()) {
                throw new IllegalStateException(
                        template
                                + ": a policy refers to "
                                + id
                                + ", which is not a resource"
                                + " of the template");
            }
            return r;
        }

        String ref(String id) {
            switch (id) {
                case "AWS::Region":
                    return names.region();
                case "AWS::AccountId":
                    return names.account();
                case "AWS::Partition":
                    return "aws";
                case "AWS::URLSuffix":
                    return "amazonaws.com";
                case "AWS::StackName":
                    return "batchlane-local";
                default:
                    break;
            }
            JsonNode r = resource(id);
            String type = r.path("Type").asText();
            return switch (type) {
                case "AWS::S3::Bucket" -> names.bucket();
                case "AWS::DynamoDB::Table" -> names.table();
                // A secret's Ref is its ARN; the six random characters AWS appends are fixed here.
                case "AWS::SecretsManager::Secret" ->
                        arn("secretsmanager", "secret:" + id + "-local");
                case "AWS::Events::EventBus" ->
                        r.at("/Properties/Name").isMissingNode()
                                ? id
                                : text(r.at("/Properties/Name"));
                case "AWS::SQS::Queue" -> names.queueUrl(queueName(id, r));
                default -> id;
            };
        }

        String getAtt(String id, String attribute) {
            JsonNode r = resource(id);
            String type = r.path("Type").asText();
            return switch (type + "." + attribute) {
                case "AWS::S3::Bucket.Arn" -> names.bucketArn();
                case "AWS::DynamoDB::Table.Arn" -> names.tableArn();
                case "AWS::DynamoDB::Table.StreamArn" -> names.streamArn();
                case "AWS::KMS::Key.Arn" -> arn("kms", "key/" + id);
                case "AWS::Events::EventBus.Arn" -> arn("events", "event-bus/" + ref(id));
                case "AWS::Logs::LogGroup.Arn" -> arn("logs", "log-group:" + id + ":*");
                case "AWS::SQS::Queue.Arn" -> arn("sqs", queueName(id, r));
                case "AWS::SQS::Queue.QueueName" -> queueName(id, r);
                case "AWS::SQS::Queue.QueueUrl" -> names.queueUrl(queueName(id, r));
                case "AWS::IAM::Role.Arn" -> "arn:aws:iam::" + names.account() + ":role/" + id;
                case "AWS::SNS::Topic.TopicArn" -> arn("sns", id);
                default ->
                        arn(
                                type.split("::")[1].toLowerCase(java.util.Locale.ROOT),
                                id + "/" + attribute);
            };
        }

        /**
         * A queue's name: its {@code QueueName} when the template fixes one, else its resource id
         * (the local stack creates the queues under these names; see {@code
         * LaneTemplate.intakeQueue}).
         */
        private static String queueName(String id, JsonNode queue) {
            JsonNode name = queue.at("/Properties/QueueName");
            return name.isTextual() ? name.asText() : id;
        }

        private String arn(String service, String rest) {
            return "arn:aws:" + service + ":" + names.region() + ":" + names.account() + ":" + rest;
        }
    }
}
