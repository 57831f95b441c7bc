package dev.batchlane.local.iam;

import static dev.batchlane.local.iam.ProxyReplies.copyHeaders;
import static dev.batchlane.local.iam.ProxyReplies.reply;
import static dev.batchlane.local.iam.ProxyReplies.sendBody;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * One loopback endpoint in front of the emulators that enforces IAM as AWS would: the access key id
 * in each call's SigV4 credential names the function (each function process gets its own), the
 * signing name picks the {@link ServiceRules} that say which authorizations the call needs, and the
 * function's role (as the template grants it) and the bucket's policy decide. An allowed call is
 * forwarded to the emulator unchanged, bodies streamed; a denied one is answered as that service
 * answers AccessDenied, never reaching the emulator. Every decision is recorded as an {@link
 * Observation}, so a test can compare what the functions did with what their roles grant.
 *
 * <p>Keys listed as operator keys (the stack's own wiring and the user's CLI, playing the account
 * owner) pass unchecked. Signatures are not verified: the emulators do not, and the point is the
 * policy, not the secret key.
 */
public final class EnforcingProxy implements AutoCloseable {
    /** Who a function process is to IAM. */
    public record Principal(String function, String roleArn, List<IamStatement> statements) {
        /** As AWS names the caller in a denial: the role session Lambda opens for the function. */
        public String sessionArn() {
            int role = roleArn.indexOf(":role/");
            String account = roleArn.split(":")[4];
            return "arn:aws:sts::"
                    + account
                    + ":assumed-role/"
                    + roleArn.substring(role + 6)
                    + "/"
                    + function;
        }
    }

    /** One authorization the proxy decided: who, what, on which resource, and the outcome. */
    public record Observation(
            String function,
            String action,
            String resource,
            Decision.Outcome outcome,
            String message) {
        public boolean denied() {
            return outcome != Decision.Outcome.ALLOWED;
        }

        @Override
        public String toString() {
            return function
                    + " "
                    + (denied() ? "DENIED " : "allowed ")
                    + action
                    + " on "
                    + resource;
        }
    }

    private final Map<String, Principal> principals;
    private final Set<String> operatorKeys;
    private final Map<String, ServiceRules> services;
    private final List<IamStatement> bucketPolicy;
    private final ObservationLog observations;
    private final UpstreamForwarder forwarder;
    private final HttpServer server;
    private final ExecutorService pool;

    private EnforcingProxy(Builder b) throws IOException {
        this.principals = Map.copyOf(b.principals);
        this.operatorKeys = Set.copyOf(b.operatorKeys);
        this.services = Map.copyOf(b.services);
        this.bucketPolicy = List.copyOf(b.bucketPolicy);
        this.observations = new ObservationLog(b.onDenial);
        this.pool =
                Executors.newCachedThreadPool(
                        r -> {
                            Thread t = new Thread(r, "iam-proxy");
                            t.setDaemon(true);
                            return t;
                        });
        this.forwarder =
                new UpstreamForwarder(
                        HttpClient.newBuilder()
                                .version(HttpClient.Version.HTTP_1_1)
                                .executor(pool)
                                .followRedirects(HttpClient.Redirect.NEVER)
                                .build(),
                        b.upstreams,
                        b.operatorKeys.isEmpty() ? null : b.operatorKeys.iterator().next());
        dev.batchlane.simulator.SimHttp.preferNoDelay();
        this.server =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(pool);
        server.createContext("/", this::handle);
        server.start();
    }

    public static Builder builder() {
        return new Builder();
    }

    public URI endpoint() {
        return URI.create(
                "http://"
                        + server.getAddress().getHostString()
                        + ":"
                        + server.getAddress().getPort());
    }

    /** Every decision so far, in order. */
    public List<Observation> observations() {
        return observations.all();
    }

    public List<Observation> denials() {
        return observations.denials();
    }

    /**
     * Decides one authorization for a function, as the proxy would for a call (usable without
     * HTTP).
     */
    public Decision decide(Principal p, AccessRequest r) {
        List<IamStatement> resourcePolicy =
                r.resource().startsWith("arn:aws:s3:::") ? bucketPolicy : List.of();
        return PolicyEvaluator.evaluate(p.statements(), resourcePolicy, p.roleArn(), r);
    }

    private void handle(HttpExchange ex) throws IOException {
        // Not try-with-resources: its close would run before the catch, and the 502 below would
        // never reach the caller, who would see a dropped connection instead.
        try {
            Map<String, List<String>> headers = new LinkedHashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v));
            String query = ex.getRequestURI().getRawQuery();
            SigV4Credential credential = SigV4Credential.of(first(headers, "authorization"), query);
            String key = credential.accessKeyId();
            String service = credential.service();
            ServiceRules rules = service == null ? null : services.get(service);
            ServiceRules.Call probe =
                    new ServiceRules.Call(
                            ex.getRequestMethod(),
                            ex.getRequestURI().getRawPath(),
                            query,
                            headers,
                            null);
            if (rules == null) {
                String text =
                        key == null
                                ? "the call is not signed with SigV4"
                                : "the local stack knows no service "
                                        + service
                                        + "; give the proxy its ServiceRules";
                reply(
                        ex,
                        new ServiceRules.Answer(
                                403, Map.of("Content-Type", "text/plain"), text.getBytes()));
                return;
            }
            byte[] body = rules.needsBody(probe) ? ex.getRequestBody().readAllBytes() : null;
            ServiceRules.Call call =
                    new ServiceRules.Call(probe.method(), probe.rawPath(), query, headers, body);
            Principal principal = principals.get(key);
            boolean operator = operatorKeys.contains(key);
            if (principal == null && !operator) {
                String text =
                        "The AWS Access Key Id "
                                + key
                                + " does not exist in the local stack's records";
                observations.add(
                        new Observation(
                                "unknown key " + key,
                                service,
                                "*",
                                Decision.Outcome.IMPLICIT_DENY,
                                text));
                reply(ex, rules.denied(call, text));
                return;
            }
            if (principal != null && !authorize(ex, rules, call, principal, service)) {
                return;
            }
            Optional<ServiceRules.Answer> local = rules.serve(call);
            if (local.isPresent()) {
                reply(ex, local.get());
                return;
            }
            forward(ex, rules, call, principal);
        } catch (IOException | RuntimeException e) {
            try {
                reply(
                        ex,
                        new ServiceRules.Answer(
                                502,
                                Map.of("Content-Type", "text/plain"),
                                ("the IAM proxy could not forward the call: " + e).getBytes()));
            } catch (IOException | RuntimeException ignored) {
                // the exchange is already answered or gone
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ex.close();
        }
    }

    /**
     * Decides every authorization the call needs for the function; the first one refused answers
     * the call and ends it.
     *
     * @return whether the call may go on
     */
    private boolean authorize(
            HttpExchange ex,
            ServiceRules rules,
            ServiceRules.Call call,
            Principal principal,
            String service)
            throws IOException {
        List<AccessRequest> needed = rules.authorizations(call);
        if (needed.isEmpty()) {
            String text =
                    "the local stack cannot tell which IAM action "
                            + call.method()
                            + " "
                            + call.rawPath()
                            + (call.rawQuery() == null ? "" : "?" + call.rawQuery())
                            + " ("
                            + service
                            + " "
                            + call.header("x-amz-target")
                            + ") is; it is denied until "
                            + rules.getClass().getName()
                            + " maps it";
            deny(
                    ex,
                    rules,
                    call,
                    new Observation(
                            principal.function(),
                            service + ":?",
                            call.rawPath(),
                            Decision.Outcome.IMPLICIT_DENY,
                            text));
            return false;
        }
        for (AccessRequest r : needed) {
            Decision d = decide(principal, r);
            if (!d.allowed()) {
                deny(ex, rules, call, denial(principal, r, d));
                return false;
            }
            observations.add(
                    new Observation(
                            principal.function(),
                            r.action(),
                            r.resource(),
                            Decision.Outcome.ALLOWED,
                            null));
        }
        return true;
    }

    private Observation denial(Principal p, AccessRequest r, Decision d) {
        boolean byResource = d.statement() != null && !d.statement().principals().isEmpty();
        String resource = r.action().startsWith("s3:") ? "\"" + r.resource() + "\"" : r.resource();
        String message =
                "User: "
                        + p.sessionArn()
                        + " is not authorized to perform: "
                        + r.action()
                        + " on resource: "
                        + resource
                        + " "
                        + d.reason(r.action(), byResource);
        return new Observation(p.function(), r.action(), r.resource(), d.outcome(), message);
    }

    private void deny(HttpExchange ex, ServiceRules rules, ServiceRules.Call call, Observation o)
            throws IOException {
        // Read what the caller still sends (an upload part): a reply cut into the upload reads as a
        // broken connection, which the SDK retries, instead of as the AccessDenied it is.
        ex.getRequestBody().transferTo(OutputStream.nullOutputStream());
        observations.addDenial(o);
        reply(ex, rules.denied(call, o.message()));
    }

    private void forward(
            HttpExchange ex, ServiceRules rules, ServiceRules.Call call, Principal principal)
            throws IOException, InterruptedException {
        HttpResponse<InputStream> response = forwarder.send(ex, rules, call);
        boolean inspect = response.statusCode() == 404 || rules.needsResponseBody(call);
        if (inspect) {
            byte[] bytes;
            try (InputStream in = response.body()) {
                bytes = in.readAllBytes();
            }
            Optional<ServiceRules.Answer> replaced =
                    rules.afterResponse(
                            call,
                            response.statusCode(),
                            bytes,
                            r -> {
                                if (principal == null) {
                                    return new Decision(Decision.Outcome.ALLOWED, null);
                                }
                                Decision d = decide(principal, r);
                                if (d.allowed()) {
                                    // Seen like any other grant the function used (a missing key
                                    // told apart from a denied one needs s3:ListBucket).
                                    observations.add(
                                            new Observation(
                                                    principal.function(),
                                                    r.action(),
                                                    r.resource(),
                                                    Decision.Outcome.ALLOWED,
                                                    null));
                                }
                                return d;
                            });
            if (replaced.isPresent()) {
                Observation o =
                        new Observation(
                                principal.function(),
                                "s3:ListBucket",
                                "arn:aws:s3:::" + call.rawPath().substring(1).split("/")[0],
                                Decision.Outcome.IMPLICIT_DENY,
                                "a missing key "
                                        + call.rawPath()
                                        + " reads as 403 AccessDenied without s3:ListBucket");
                observations.addDenial(o);
                reply(ex, replaced.get());
                return;
            }
            copyHeaders(response, ex);
            sendBody(
                    ex,
                    response.statusCode(),
                    bytes.length,
                    new java.io.ByteArrayInputStream(bytes));
            return;
        }
        copyHeaders(response, ex);
        long len = response.headers().firstValueAsLong("content-length").orElse(-1);
        try (InputStream in = response.body()) {
            sendBody(ex, response.statusCode(), len, in);
        }
    }

    private static String first(Map<String, List<String>> headers, String name) {
        List<String> v = headers.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }

    /** What the proxy enforces and where it forwards. */
    public static final class Builder {
        private final Map<String, Principal> principals = new HashMap<>();
        private final Set<String> operatorKeys = new java.util.LinkedHashSet<>();
        private final Map<String, ServiceRules> services = new HashMap<>();
        private final Map<String, URI> upstreams = new HashMap<>();
        private final List<IamStatement> bucketPolicy = new ArrayList<>();
        private Consumer<Observation> onDenial;

        public Builder principal(String accessKeyId, Principal p) {
            principals.put(accessKeyId, p);
            return this;
        }

        /**
         * A key that passes unchecked; the first is also the one calls are forwarded to the
         * emulators with.
         */
        public Builder operatorKey(String accessKeyId) {
            operatorKeys.add(accessKeyId);
            return this;
        }

        /** A service and the emulator it forwards to (null for one the rules serve themselves). */
        public Builder service(ServiceRules rules, URI upstream) {
            services.put(rules.signingName(), rules);
            if (upstream != null) {
                upstreams.put(rules.signingName(), upstream);
            }
            return this;
        }

        public Builder bucketPolicy(List<IamStatement> statements) {
            bucketPolicy.addAll(statements);
            return this;
        }

        public Builder onDenial(Consumer<Observation> listener) {
            this.onDenial = listener;
            return this;
        }

        public EnforcingProxy start() throws IOException {
            return new EnforcingProxy(this);
        }
    }
}
