package h;

import dev.batchlane.core.provider.Payload;
import jakarta.ws.rs.client.Client;
import jakarta.ws.rs.client.Entity;
import jakarta.ws.rs.core.MediaType;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import org.jboss.resteasy.reactive.client.api.ClientMultipartForm;
import org.jboss.resteasy.reactive.client.impl.ClientBuilderImpl;

/** The Quarkus REST client (resteasy-reactive client, as quarkus-rest-client-jackson brings it) used directly. */
final class RestVariants {
    private RestVariants() {
    }

    /** The payload as the InputStream part of a ClientMultipartForm, as a REST client interface would send it. */
    static String multipart(String base, Payload payload) throws Exception {
        Client client = new ClientBuilderImpl().build();
        try (InputStream in = payload.open()) {
            ClientMultipartForm form = ClientMultipartForm.create().attribute("purpose", "batch", null)
                    .entity("file", payload.name(), in, "application/jsonl", InputStream.class);
            return client.target(base + "/files").request().header("Authorization", "Bearer k")
                    .post(Entity.entity(form, MediaType.MULTIPART_FORM_DATA_TYPE), String.class);
        } finally {
            client.close();
        }
    }

    /** A hand-framed multipart body as one top-level InputStream entity (the client streams those). */
    static String stream(String base, Payload payload) throws Exception {
        Client client = new ClientBuilderImpl().build();
        String boundary = "batchlane-harness";
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--"
                + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + payload.name()
                + "\"\r\nContent-Type: application/jsonl\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        try (InputStream in = new SequenceInputStream(Collections.enumeration(List.of(new ByteArrayInputStream(head),
                payload.open(), new ByteArrayInputStream(tail))))) {
            return client.target(base + "/files").request().header("Authorization", "Bearer k")
                    .header("Content-Length", Long.toString(head.length + payload.size() + tail.length))
                    .post(Entity.entity(in, "multipart/form-data; boundary=" + boundary), String.class);
        } finally {
            client.close();
        }
    }
}
