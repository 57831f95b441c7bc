package dev.batchlane.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EscapeTest {
    @Test
    void segment_plainIdsStayAsTheyAre_othersCannotEscapeTheirPathSegment() {
        assertThat(Escape.segment("batch_abc-123.x~")).isEqualTo("batch_abc-123.x~");
        assertThat(Escape.segment("../files?x=1#y é")).isEqualTo("..%2Ffiles%3Fx%3D1%23y%20%C3%A9");
    }

    @Test
    void query_aPageTokenCannotAddParameters() {
        assertThat(Escape.query("a&b=c d")).isEqualTo("a%26b%3Dc+d");
    }

    @Test
    void formFilename_quotesAndLineBreaksCannotEndTheHeader() {
        assertThat(Escape.formFilename("a\"b\r\nc.jsonl")).isEqualTo("a%22b%0D%0Ac.jsonl");
    }
}
