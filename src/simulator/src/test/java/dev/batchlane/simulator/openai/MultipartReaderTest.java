package dev.batchlane.simulator.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MultipartReaderTest {

    @Test
    void parts_areReadEvenWhenTheStreamArrivesOneByteAtATime() throws IOException {
        String body =
                "--XyZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
                        + "--XyZ  \r\nContent-Disposition: form-data; name=\"file\"; filename=\"we\\\"ird;name.jsonl\"\r\n"
                        + "Content-Type: application/jsonl\r\n\r\nline\r\n--Xy\r\n-\r\r\n--XyZ--\r\n";
        MultipartReader reader = new MultipartReader(trickle(body), "XyZ");

        MultipartReader.Part purpose = reader.nextPart();
        String purposeValue = reader.readSmallBody(100, "purpose");
        MultipartReader.Part file = reader.nextPart();
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        reader.copyBody(content);

        assertThat(purpose.name()).isEqualTo("purpose");
        assertThat(purposeValue).isEqualTo("batch");
        assertThat(file.name()).isEqualTo("file");
        assertThat(file.filename()).isEqualTo("we\"ird;name.jsonl");
        assertThat(file.contentType()).isEqualTo("application/jsonl");
        assertThat(content.toString(StandardCharsets.UTF_8)).isEqualTo("line\r\n--Xy\r\n-\r");
        assertThat(reader.nextPart()).isNull();
    }

    @Test
    void unreadBodies_areSkipped_andTheEndIsReported() throws IOException {
        String body =
                "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nskip me\r\n"
                        + "--b\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\nkeep\r\n--b--";
        MultipartReader reader =
                new MultipartReader(new ByteArrayInputStream(body.getBytes()), "b");

        reader.nextPart();
        MultipartReader.Part second = reader.nextPart();
        String value = reader.readSmallBody(10, "b");

        assertThat(second.name()).isEqualTo("b");
        assertThat(value).isEqualTo("keep");
        assertThat(reader.nextPart()).isNull();
    }

    @Test
    void missingClosingBoundary_isABadRequest() throws IOException {
        MultipartReader reader =
                new MultipartReader(
                        new ByteArrayInputStream(
                                "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end"
                                        .getBytes()),
                        "b");
        reader.nextPart();

        assertThatThrownBy(() -> reader.copyBody(new ByteArrayOutputStream()))
                .isInstanceOf(ApiError.class)
                .hasMessageContaining("closing boundary");
    }

    @Test
    void oversizedField_isABadRequestNamingTheField() throws IOException {
        MultipartReader reader =
                new MultipartReader(
                        new ByteArrayInputStream(
                                "--b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatchbatch\r\n--b--"
                                        .getBytes()),
                        "b");
        reader.nextPart();

        assertThatThrownBy(() -> reader.readSmallBody(5, "purpose"))
                .isInstanceOf(ApiError.class)
                .hasMessageContaining("purpose");
    }

    @Test
    void boundaryOf_readsQuotedAndBareBoundaries_andRejectsOtherTypes() {
        assertThat(MultipartReader.boundaryOf("multipart/form-data; boundary=abc"))
                .isEqualTo("abc");
        assertThat(
                        MultipartReader.boundaryOf(
                                "Multipart/Form-Data;charset=utf-8; boundary=\"a b\""))
                .isEqualTo("a b");
        assertThatThrownBy(() -> MultipartReader.boundaryOf("application/json"))
                .isInstanceOf(ApiError.class);
        assertThatThrownBy(() -> MultipartReader.boundaryOf("multipart/form-data"))
                .isInstanceOf(ApiError.class);
    }

    /** A stream that hands out one byte per read, to cross every buffer boundary. */
    private static InputStream trickle(String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return new InputStream() {
            private int pos;

            @Override
            public int read() {
                return pos < bytes.length ? bytes[pos++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos >= bytes.length) {
                    return -1;
                }
                b[off] = bytes[pos++];
                return 1;
            }
        };
    }
}
