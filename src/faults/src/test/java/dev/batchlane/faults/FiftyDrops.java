package dev.batchlane.faults;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Fifty small files dropped at once, as a team's scheduled export does: the draw of the seeds that
 * run it instead of one large file. One seed in eight, {@code (seed + seed / 8) % 8 == 3}: the
 * provider ({@code seed % 8}) turns with each block of eight seeds, so every provider meets it once
 * in sixty-four seeds (3 Azure, 10 Anthropic, 17 OpenAI, 24 Bedrock, 39 Gemini, 46 Together, 53
 * Mistral, 60 Groq), and CI's seeds 1..8 include seed 3. The seeds recorded as failing so far are
 * none of these, so they replay as they did.
 *
 * <p>Each file holds 5 to 20 requests. The first few files use the same ids ({@code req-0}, {@code
 * req-1}, … as users name requests day after day), and their prompts differ only by padding of four
 * characters per file, one input token at every simulator: an answer joined into the wrong file
 * shows in its token count. Every prompt names its request by a number of five digits, unique over
 * the fifty files, so the number of characters is the same in every file.
 */
record FiftyDrops(List<Drop> files, int sharing, Drop cancelled) {
    static final int FILES = 50;

    /** Ingest invocations running at once (Lambda runs one per S3 event). */
    static final int INVOCATIONS = 8;

    /**
     * Ticks with work before the jobs must have ended: fifty jobs through a provider's queue take
     * more turns than one.
     */
    static final int BOUND = 400;

    /**
     * One file: its key, ids and text; {@code sharing} is its place among the files reusing ids
     * (its padding, in tokens), or -1; {@code twice} whether S3 delivers it twice at once.
     */
    record Drop(
            String name, String key, List<String> ids, String text, int sharing, boolean twice) {}

    static boolean drawn(long seed) {
        return Math.floorMod(seed + seed / 8, 8) == 3;
    }

    /** The files of {@code seed}, from a Random of their own so the seed's other draws stay. */
    static FiftyDrops draw(long seed, Sim sim) {
        Random f = new Random(seed * 0x9E3779B97F4A7C15L + 2);
        int sharing = 4 + f.nextInt(5);
        int prompt = 10_000;
        List<Drop> files = new ArrayList<>();
        for (int k = 0; k < FILES; k++) {
            int size = 5 + f.nextInt(16);
            int place = k < sharing ? k : -1;
            List<String> ids = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            for (int j = 0; j < size; j++) {
                String id = place >= 0 ? "req-" + j : "s" + seed + "-f" + k + "-r" + j;
                ids.add(id);
                int n = prompt++;
                String line = sim.line(id, n);
                String named = "case " + n + "\"";
                if (!line.contains(named)) {
                    throw new IllegalStateException(
                            sim.name() + "'s line does not name its request as 'case n': " + line);
                }
                text.append(
                                line.replace(
                                        named,
                                        "case " + n + " pad".repeat(Math.max(0, place)) + "\""))
                        .append('\n');
            }
            String name = "drop-" + k;
            files.add(
                    new Drop(
                            name,
                            "inbox/" + sim.name() + "/seed-" + seed + "-" + name + ".jsonl",
                            List.copyOf(ids),
                            text.toString(),
                            place,
                            f.nextInt(3) == 0));
        }
        Drop cancelled = f.nextBoolean() ? files.get(f.nextInt(FILES)) : null;
        return new FiftyDrops(List.copyOf(files), sharing, cancelled);
    }

    /** Every file's ids, repeats included: the faults are drawn over them. */
    List<String> allIds() {
        List<String> all = new ArrayList<>();
        files.forEach(d -> all.addAll(d.ids()));
        return all;
    }

    @Override
    public String toString() {
        int requests = files.stream().mapToInt(d -> d.ids().size()).sum();
        return "fifty files at once ("
                + requests
                + " requests, drop-0..drop-"
                + (sharing - 1)
                + " reusing ids req-0…)";
    }
}
